import AgentSchema
@testable import Collectors
import Testing

@Suite struct CollectorErrorTests {
    @Test func sqlStatesMapToCodesWithHints() {
        #expect(CollectorError.fromSQLState("28P01").code == .authenticationFailed)
        #expect(CollectorError.fromSQLState("42501").hint?.contains("pg_monitor") == true)
        #expect(CollectorError.fromSQLState("57014").code == .queryCanceled)
        #expect(CollectorError.fromSQLState("55000").hint?.contains("shared_preload_libraries") == true)
        #expect(CollectorError.fromSQLState("XX000").code == .serverError)
    }

    @Test func entryCarriesCollectorAndCode() {
        let entry = CollectorError.fromSQLState("42883").entry(collector: "statements")
        #expect(entry.collector == "statements")
        #expect(entry.code == "extension_missing")
        #expect(entry.message.contains("42883"))
    }
}

/// SQLSTATE 28000 says what pg_hba.conf did, from the method alone.
@Suite struct CollectorErrorRejectionTests {
    @Test func peerAuthenticationNamesTheOSUserFixes() {
        let error = CollectorError.rejected(serverMessage: "Peer authentication failed for user \"bitville_monitor\"")
        #expect(error.sqlState == "28000")
        #expect(error.message.hasPrefix("peer authentication failed"))
        #expect(!error.message.contains("password"))
        #expect(error.hint?.contains("pg_ident.conf") == true && error.hint?.contains("host=127.0.0.1") == true)
    }

    @Test func rejectAndMissingLinesAreToldApart() {
        #expect(CollectorError.rejected(serverMessage: "pg_hba.conf rejects connection for host \"[local]\", user \"x\", database \"y\", no encryption")
            .message.contains("reject line"))
        #expect(CollectorError.rejected(serverMessage: "no pg_hba.conf entry for host \"10.0.0.9\", user \"x\", database \"y\", no encryption")
            .message.contains("no pg_hba.conf line"))
        #expect(CollectorError.rejected(serverMessage: "LDAP authentication failed for user \"x\"").message == "ldap authentication failed")
        // Whatever the server says, the message is ours: no role, host or database name from it.
        let odd = CollectorError.rejected(serverMessage: "secret-ish text authentication failed for user \"x\"")
        #expect(!odd.message.contains("secret") && !odd.message.contains("\"x\""))
        #expect(CollectorError.fromSQLState("28000").message.contains("pg_hba.conf"))
        #expect(CollectorError.fromSQLState("28P01").message == "password authentication failed")
    }
}
