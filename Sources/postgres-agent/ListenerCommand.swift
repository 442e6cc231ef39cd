import AgentConfiguration
import ArgumentParser
import Foundation
import Listener
import Logging
import ServiceLifecycle
import UnixSignals

/// `postgres-agent listener --listen HOST:PORT --token-file F --store FILE`: the reference listener
/// (docs/cli.md). Prints one line, `listening on URL`, on stdout once the socket is bound; stops cleanly
/// on SIGTERM/SIGINT, finishing the requests in flight (a slow one within `--body-timeout-seconds`).
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

    @Option(help: "Largest JSON document, MiB: what a gzip body may inflate to, and a plain body's size.")
    var maxJsonMb = 32

    @Option(help: "Seconds a connection may pass without a request head, body piece or answer before it is closed.")
    var idleTimeoutSeconds = 30

    @Option(help: "Seconds a request's body may take to arrive after its headers before the connection is closed.")
    var bodyTimeoutSeconds = 60

    @Option(help: "Ingests at once; one more is answered 503 with Retry-After: 1.")
    var maxConcurrentIngests = 16

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
        guard (1...4_096).contains(maxJsonMb) else { throw ValidationError("--max-json-mb must be from 1 to 4096") }
        guard (1...3_600).contains(idleTimeoutSeconds) else {
            throw ValidationError("--idle-timeout-seconds must be from 1 to 3600")
        }
        guard (1...3_600).contains(bodyTimeoutSeconds) else {
            throw ValidationError("--body-timeout-seconds must be from 1 to 3600")
        }
        guard (1...1_024).contains(maxConcurrentIngests) else {
            throw ValidationError("--max-concurrent-ingests must be from 1 to 1024")
        }
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
            Self.warnIfShared(tokenFile, what: "the token file", logger: logger)
            let batches = try BatchStore(path: store, powerSafe: sync == "full")
            Self.warnIfShared(store, what: "the store", logger: logger)
            let address = ListenAddress(parsing: listen, allowAnyPort: true)!
            let settings = IngestListener.Settings(
                address: address, tls: tlsCert.map { ($0, tlsKey ?? "") },
                limits: .init(maxBodyBytes: maxBodyMb << 20, maxJSONBytes: maxJsonMb << 20),
                idleTimeout: .seconds(idleTimeoutSeconds), bodyTimeout: .seconds(bodyTimeoutSeconds),
                maxConcurrentIngests: maxConcurrentIngests)
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

    /// A key file or store others can read is worth a warning, not a refusal (the operator may know
    /// better). A store the listener creates is 0600 already.
    private static func warnIfShared(_ path: String, what: String, logger: Logger) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 else { return }
        logger.warning("\(what) can be read by other users; chmod 600 it", metadata: [
            "file": "\(path)", "mode": "\(String(mode, radix: 8))",
        ])
    }
}
