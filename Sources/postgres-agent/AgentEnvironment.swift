import AgentCore
import Foundation
import Logging

/// What the process knows about where it runs: the environment, the OS user, the host name. Read once, in
/// the executable only (library modules get these values passed in).
struct AgentEnvironment {
    var variables: [String: String]
    var osUser: String
    var hostname: String

    static func current() -> AgentEnvironment {
        let user = getpwuid(geteuid()).flatMap { String(validatingCString: $0.pointee.pw_name) } ?? "postgres"
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        return AgentEnvironment(variables: ProcessInfo.processInfo.environment, osUser: user, hostname: host)
    }

    /// Loads the configuration, or prints why not (naming the key, never a value) and exits 78.
    func loadConfiguration(path: String?) throws -> AgentConfiguration {
        do {
            return try AgentConfiguration.load(path: path, environment: variables,
                                               readFile: { try AgentConfiguration.readFileFromDisk($0) })
        } catch {
            FileHandle.standardError.write(Data("postgres-agent: bad configuration: \(error)\n".utf8))
            throw ExitStatus.configuration
        }
    }

    /// The listener's API key: `POSTGRES_AGENT_LISTENER_API_KEY` (fixed), else the key file, read anew at
    /// each call so that replacing the file after a 401 is enough; nil when there is none.
    func apiKey(_ configuration: AgentConfiguration) -> Secret? {
        if let key = variables["POSTGRES_AGENT_LISTENER_API_KEY"], !key.isEmpty { return Secret(key) }
        guard let file = configuration.listener.apiKeyFile,
              let text = try? AgentConfiguration.readFileFromDisk(file) else { return configuration.listener.apiKey }
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return key.isEmpty ? nil : Secret(key)
    }

    /// The process-wide logger: bootstrapped here, once, at the configured level.
    static func bootstrapLogging(level: AgentConfiguration.LogLevel) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: level.rawValue) ?? .info
            return handler
        }
        return Logger(label: "postgres-agent")
    }
}

/// The environment holds secrets (`POSTGRES_AGENT_*_PASSWORD`, the API key, `PGPASSWORD`): printing it,
/// as ServiceLifecycle's debug log prints every service, shows only who and where.
extension AgentEnvironment: CustomStringConvertible, CustomDebugStringConvertible {
    var description: String { "AgentEnvironment(user: \(osUser), host: \(hostname), \(variables.count) variables)" }
    var debugDescription: String { description }
}
