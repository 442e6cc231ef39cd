import AgentConfiguration
import ArgumentParser
import Foundation
import Listener
import Logging
import ServiceLifecycle
import UnixSignals

/// `postgres-agent listener --listen HOST:PORT --token-file F --store FILE`: the reference listener
/// (docs/cli.md). Prints one line, `listening on URL`, on stdout once the socket is bound; stops cleanly
/// on SIGTERM/SIGINT, finishing the requests in flight.
struct ListenerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listener",
        abstract: "Run the reference listener: POST /ingest/postgres into a SQLite store, deduplicated by batch_id."
    )

    @Option(help: "Address to listen on: host:port, [v6]:port; port 0 picks a free one.")
    var listen = "127.0.0.1:8443"

    @Option(help: "File of accepted API keys, one per line (# comments allowed). Keep it mode 0600.")
    var tokenFile: String

    @Option(help: "SQLite file the accepted batches go to (created if missing).")
    var store: String

    @Option(help: "PEM certificate chain: serve HTTPS (needs --tls-key).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(help: ArgumentHelp(
        "When a 2xx is sent: full = the batch is on disk and survives a power loss; normal = it survives a crash of the listener, not a power loss.",
        valueName: "full|normal"))
    var sync = "full"

    @Option(help: "Largest request body accepted, MiB (as sent, compressed).")
    var maxBodyMb = 64

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard ListenAddress(parsing: listen, allowAnyPort: true) != nil else {
            throw ValidationError("--listen must be host:port (such as 127.0.0.1:8443 or [::1]:8443), not \(listen)")
        }
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        guard (1...4_096).contains(maxBodyMb) else { throw ValidationError("--max-body-mb must be from 1 to 4096") }
        guard sync == "full" || sync == "normal" else { throw ValidationError("--sync must be full or normal") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \(logLevel) is not a level") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            return handler
        }
        let logger = Logger(label: "postgres-agent.listener")
        let listener: IngestListener
        do {
            let tokens = try BearerTokens(file: tokenFile)
            Self.warnIfShared(tokenFile, logger: logger)
            let batches = try BatchStore(path: store, powerSafe: sync == "full")
            let address = ListenAddress(parsing: listen, allowAnyPort: true)!
            let settings = IngestListener.Settings(
                address: address, tls: tlsCert.map { ($0, tlsKey ?? "") },
                limits: .init(maxBodyBytes: maxBodyMb << 20))
            listener = try IngestListener(settings: settings, tokens: tokens, store: batches, logger: logger) { url in
                FileHandle.standardOutput.write(Data("listening on \(url)/ingest/postgres\n".utf8))
            }
        } catch {
            FileHandle.standardError.write(Data("postgres-agent listener: \(error)\n".utf8))
            throw ExitStatus.configuration
        }
        let group = ServiceGroup(configuration: .init(services: [listener], gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
    }

    /// A key file others can read is worth a warning, not a refusal (the operator may know better).
    private static func warnIfShared(_ path: String, logger: Logger) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 else { return }
        logger.warning("the token file can be read by other users; chmod 600 it", metadata: [
            "file": "\(path)", "mode": "\(String(mode, radix: 8))",
        ])
    }
}
