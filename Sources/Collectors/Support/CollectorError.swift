import Foundation
package import AgentSchema
import PostgresNIO

/// Why a collector produced nothing this cycle. Safe to print: it never carries a query text, a DSN or a
/// password (server messages are reduced to their SQLSTATE and a fixed explanation).
package struct CollectorError: Error, Sendable, CustomStringConvertible {
    /// A stable machine-readable code.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case timeout, connectionFailed = "connection_failed", authenticationFailed = "authentication_failed"
            case insufficientPrivilege = "insufficient_privilege", extensionMissing = "extension_missing"
            case extensionNotLoaded = "extension_not_loaded", queryCanceled = "query_canceled"
            case serverError = "server_error", decoding, io
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        package static let timeout = Code(.timeout)
        package static let connectionFailed = Code(.connectionFailed)
        package static let authenticationFailed = Code(.authenticationFailed)
        package static let insufficientPrivilege = Code(.insufficientPrivilege)
        package static let extensionMissing = Code(.extensionMissing)
        package static let extensionNotLoaded = Code(.extensionNotLoaded)
        package static let queryCanceled = Code(.queryCanceled)
        package static let serverError = Code(.serverError)
        package static let decoding = Code(.decoding)
        package static let io = Code(.io)
        package var description: String { base.rawValue }
    }

    package var code: Code
    /// A fixed, secret-free explanation.
    package var message: String
    /// What the operator can do, when we know.
    package var hint: String?
    /// SQLSTATE of a server error, when there was one.
    package var sqlState: String?

    package init(code: Code, message: String, hint: String? = nil, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
        self.sqlState = sqlState
    }

    package var description: String {
        var text = "\(code): \(message)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        return text
    }

    /// The `errors` entry of a payload for this error.
    package func entry(collector: String) -> CollectorErrorEntry {
        CollectorErrorEntry(collector: collector, code: code.description, message: description, hint: hint)
    }

    /// Maps any error out of postgres-nio (or ours) to a safe CollectorError.
    ///
    /// We never take `PSQLError`'s server message verbatim: it can quote a statement or an identifier.
    /// The SQLSTATE tells us what we need.
    package static func from(_ error: any Error) -> CollectorError {
        if let error = error as? CollectorError { return error }
        if let psql = error as? PSQLError {
            if let state = psql.serverInfo?[.sqlState] {
                if state == "28000" { return rejected(serverMessage: psql.serverInfo?[.message]) }
                return fromSQLState(state)
            }
            switch psql.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed,
                 .uncleanShutdown, .sslUnsupported, .failedToAddSSLHandler:
                return CollectorError(code: .connectionFailed, message: "could not talk to the server (\(psql.code))",
                                      hint: "check that the server is up and the host, port and sslmode are right")
            case .authMechanismRequiresPassword, .saslError, .unsupportedAuthMechanism:
                return CollectorError(code: .authenticationFailed, message: "authentication failed (\(psql.code))",
                                      hint: "set password_file or PGPASSWORD for the monitoring role")
            case .queryCancelled:
                return CollectorError(code: .queryCanceled, message: "query cancelled")
            default:
                return CollectorError(code: .serverError, message: "postgres client error (\(psql.code))")
            }
        }
        if error is PostgresDecodingError {
            return CollectorError(code: .decoding, message: "a column did not decode as expected")
        }
        if error is CancellationError {
            return CollectorError(code: .timeout, message: "cancelled")
        }
        // NIO channel errors and the like: their descriptions name addresses, never secrets.
        return CollectorError(code: .connectionFailed, message: "could not talk to the server (\(type(of: error)))",
                              hint: "check that the server is up and the host, port and sslmode are right")
    }

    /// SQLSTATE 28000: pg_hba.conf refused the role before any password was asked. Only the method is
    /// taken from the server's message (`Peer authentication failed for user "…"`, `pg_hba.conf rejects
    /// connection …`, `no pg_hba.conf entry …`), never the message itself.
    package static func rejected(serverMessage: String?) -> CollectorError {
        let text = serverMessage ?? ""
        if let failed = text.range(of: " authentication failed for user ") {
            let method = text[..<failed.lowerBound].lowercased()
            if method == "peer" || method == "ident" {
                return CollectorError(
                    code: .authenticationFailed,
                    message: "\(method) authentication failed: pg_hba.conf lets the role in over the Unix socket only from an OS user of the same name, and the agent runs as another",
                    hint: "run the agent as an OS user named like the role, or map its OS user to the role in pg_ident.conf (pg_hba.conf: local all ROLE peer map=agent; pg_ident.conf: agent OSUSER ROLE); or connect over TCP with a password: host=127.0.0.1 in conninfo and password_file",
                    sqlState: "28000")
            }
            let known = ["gss", "sspi", "ldap", "radius", "cert", "pam", "bsd", "trust", "reject"]
            let named = known.contains(method) ? method : "the pg_hba.conf method's"
            return CollectorError(code: .authenticationFailed, message: "\(named) authentication failed",
                                  hint: "check the pg_hba.conf line that matches the agent's role, host and database", sqlState: "28000")
        }
        if text.hasPrefix("pg_hba.conf rejects connection") {
            return CollectorError(code: .authenticationFailed, message: "a reject line of pg_hba.conf refuses the role",
                                  hint: "add a line for the role above it: host all ROLE 127.0.0.1/32 scram-sha-256 (and SELECT pg_reload_conf())",
                                  sqlState: "28000")
        }
        if text.hasPrefix("no pg_hba.conf entry") {
            return CollectorError(code: .authenticationFailed, message: "no pg_hba.conf line matches the agent's host, role and database",
                                  hint: "add one: host all ROLE 127.0.0.1/32 scram-sha-256 (and SELECT pg_reload_conf())", sqlState: "28000")
        }
        return CollectorError(code: .authenticationFailed, message: "the server refused the role (pg_hba.conf)",
                              hint: "check the pg_hba.conf line that matches the agent's role, host and database", sqlState: "28000")
    }

    /// Maps a SQLSTATE to a code with a fixed explanation.
    package static func fromSQLState(_ state: String) -> CollectorError {
        switch state {
        case "28000":
            return rejected(serverMessage: nil)
        case "28P01":
            return CollectorError(code: .authenticationFailed, message: "password authentication failed",
                                  hint: "check the monitoring role's password (password_file, PGPASSWORD, ~/.pgpass)",
                                  sqlState: state)
        case "42501":
            return CollectorError(code: .insufficientPrivilege, message: "permission denied",
                                  hint: "GRANT pg_monitor TO <monitoring role>", sqlState: state)
        case "57014":
            return CollectorError(code: .queryCanceled, message: "canceling statement due to statement timeout",
                                  hint: "the server is slow or statement_timeout_ms is too low", sqlState: state)
        case "55000":
            return CollectorError(code: .extensionNotLoaded,
                                  message: "pg_stat_statements must be loaded via shared_preload_libraries",
                                  hint: "add pg_stat_statements to shared_preload_libraries and restart the server",
                                  sqlState: state)
        case "42883", "42P01":
            return CollectorError(code: .extensionMissing, message: "pg_stat_statements is not installed",
                                  hint: "CREATE EXTENSION pg_stat_statements; in the database the agent connects to",
                                  sqlState: state)
        case "53300":
            return CollectorError(code: .connectionFailed, message: "the server has no connection slot left (too many connections)",
                                  hint: "raise max_connections or reserve slots for monitoring (reserved_connections, PG 16+)",
                                  sqlState: state)
        case "3D000":
            return CollectorError(code: .connectionFailed, message: "the database does not exist (dropped?)", sqlState: state)
        case "55P03":
            return CollectorError(code: .queryCanceled, message: "a lock was not granted within lock_timeout",
                                  hint: "another session holds a conflicting lock (a migration); the agent does not wait for it",
                                  sqlState: state)
        case "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004":
            return CollectorError(code: .connectionFailed, message: "the server closed the connection or is starting up",
                                  sqlState: state)
        default:
            return CollectorError(code: .serverError, message: "the server reported an error", sqlState: state)
        }
    }
}
