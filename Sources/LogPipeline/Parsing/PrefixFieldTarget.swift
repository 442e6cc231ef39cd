import AgentSchema

/// Where ``LogLinePrefix`` writes the values of a line: ``LogLinePrefix/Fields``, or a ``LogEvent`` directly
/// (the stderr parser, which so builds no intermediate strings it would throw away).
protocol PrefixFieldTarget {
    var timestamp: String? { get set }
    var pid: Int? { get set }
    var user: String? { get set }
    var database: String? { get set }
    var applicationName: String? { get set }
    var remoteHost: String? { get set }
    var sessionID: String? { get set }
    var sessionLine: Int64? { get set }
    var virtualXID: String? { get set }
    var xid: Int64? { get set }
    var sqlstate: String? { get set }
    var backendType: String? { get set }
    var leaderPID: Int? { get set }
    var queryID: Int64? { get set }
    /// Whether the target keeps the values a log event has no field for (port, zone, `%i`, `%L`, `%s`).
    static var wantsExtras: Bool { get }
    mutating func setExtra(_ field: PrefixExtraField, _ value: String?)
}

/// The values of a prefix that a ``LogEvent`` has no field for.
enum PrefixExtraField {
    case remotePort, localAddress, commandTag, sessionStart, timeZone
}

extension LogLinePrefix.Fields: PrefixFieldTarget {
    static var wantsExtras: Bool { true }

    mutating func setExtra(_ field: PrefixExtraField, _ value: String?) {
        switch field {
        case .remotePort: remotePort = value
        case .localAddress: localAddress = value
        case .commandTag: commandTag = value
        case .sessionStart: sessionStart = value
        case .timeZone: timeZone = value
        }
    }
}

extension LogEvent: PrefixFieldTarget {
    static var wantsExtras: Bool { false }

    mutating func setExtra(_ field: PrefixExtraField, _ value: String?) {}
}
