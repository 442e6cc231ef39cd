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

    /// Maps a SQLSTATE to a code with a fixed explanation.
    package static func fromSQLState(_ state: String) -> CollectorError {
        switch state {
        case "28P01", "28000":
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
        case "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004":
            return CollectorError(code: .connectionFailed, message: "the server closed the connection or is starting up",
                                  sqlState: state)
        default:
            return CollectorError(code: .serverError, message: "the server reported an error", sqlState: state)
        }
    }
}
