import Foundation

/// Which databases' tables, indexes and sequences the agent visits (`[postgres] databases`).
package enum DatabaseSelection: Sendable, Equatable {
    /// Every database that allows connections, less `exclude_databases`.
    case auto
    /// No visits: the snapshot has no `schema` part.
    case none
    /// Exactly these databases, in this order.
    case listed([String])

    /// Parses `auto`, `none` or a comma-separated list of names.
    init(parsing value: ConfigurationValue) throws(AgentConfigurationError) {
        switch value.raw.trimmingCharacters(in: .whitespaces).lowercased() {
        case "auto": self = .auto
        case "none": self = .none
        default:
            let names = try Self.names(value)
            guard !names.isEmpty else {
                throw value.error(.invalidValue, "must be auto, none, or database names separated by commas")
            }
            self = .listed(names)
        }
    }

    /// Comma-separated database names, blanks around each ignored, empty entries dropped; each at most 63
    /// bytes (PostgreSQL's identifier limit).
    static func names(_ value: ConfigurationValue) throws(AgentConfigurationError) -> [String] {
        let names = value.raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard names.allSatisfy({ $0.utf8.count <= 63 }) else {
            throw value.error(.invalidValue, "names a database longer than 63 bytes, which PostgreSQL cannot have")
        }
        return names
    }
}
