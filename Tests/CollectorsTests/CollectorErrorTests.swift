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
