import AgentConfiguration
import AgentDaemon
import Foundation
import Logging

/// The only place that reads the process's environment, user and host name, and bootstraps logging.
extension AgentEnvironment {
    /// This process's environment.
    static func current() -> AgentEnvironment {
        let user = getpwuid(geteuid()).flatMap { String(validatingCString: $0.pointee.pw_name) } ?? "postgres"
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        return AgentEnvironment(variables: ProcessInfo.processInfo.environment, osUser: user, hostname: host)
    }

    /// Loads the configuration, or prints why not (naming the key, never a value) and exits 78.
    func loadConfigurationOrExit(path: String?) throws -> AgentConfiguration {
        do {
            return try loadConfiguration(path: path)
        } catch {
            FileHandle.standardError.write(Data("postgres-agent: bad configuration: \(error)\n".utf8))
            throw ExitStatus.configuration
        }
    }

    /// The process-wide logger of the one-shot commands: bootstrapped here, once, at the configured level.
    static func bootstrapLogging(level: AgentConfiguration.LogLevel) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: level.rawValue) ?? .info
            return handler
        }
        return Logger(label: "postgres-agent")
    }
}
