@testable import AgentDaemon
import AgentConfiguration
import AgentSchema
import Delivery
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

/// The composed daemon in this process: a real configuration file and spool in a scratch directory, a
/// manual clock under every part, a scripted transport in place of HTTPS, and a datagram socket in place
/// of systemd's. The monitored server is down (nothing listens on its port), which the daemon must live
/// with; no PostgreSQL is needed.
final class DaemonHarness: Sendable {
    /// One payload as the transport received it.
    struct Delivered: Sendable {
        let url: String
        let kind: String
        let instance: String
        let at: Duration
        let json: [String: any Sendable]
        /// The Bearer key it came with.
        let key: String
        let batchID: String
        /// Whether it was refused (401) rather than acknowledged.
        let refused: Bool
    }

    /// Acknowledges everything but payloads sent with a key in ``refusedKeys`` (answered 401); records
    /// what it got, on the manual clock.
    final class RecordingTransport: Sendable {
        private let delivered = Mutex<[Delivered]>([])
        private let endpoints = Mutex<[String]>([])
        private let refused = Mutex<Set<String>>([])
        let clock: ManualClock

        /// Keys the listener answers 401 to.
        var refusedKeys: Set<String> {
            get { refused.withLock { $0 } }
            set { refused.withLock { $0 = newValue } }
        }

        init(clock: ManualClock) { self.clock = clock }

        var all: [Delivered] { delivered.withLock { $0 } }
        /// The URLs the transmitter was built for, in order (a listener change rebuilds it).
        var madeFor: [String] { endpoints.withLock { $0 } }

        func make(_ endpoint: ListenerEndpoint) -> any PayloadTransport {
            endpoints.withLock { $0.append(endpoint.url) }
            return Link(url: endpoint.url, owner: self)
        }

        fileprivate func record(_ payload: SpooledPayload, url: String, key: Secret) -> DeliveryOutcome {
            let json = (try? Gzip.decompress(payload.body))
                .flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] } ?? [:]
            let refuse = refusedKeys.contains(key.value)
            let item = Delivered(url: url, kind: payload.kind?.rawValue ?? "?", instance: payload.instance, at: clock.now.offset,
                                 json: json.mapValues { "\($0)" }, key: key.value, batchID: payload.batchID,
                                 refused: refuse)
            delivered.withLock { $0.append(item) }
            return refuse ? .authenticationRejected(status: 401) : .acknowledged
        }

        private struct Link: PayloadTransport {
            let url: String
            let owner: RecordingTransport
            func send(_ payload: SpooledPayload, key: Secret) async -> DeliveryOutcome {
                owner.record(payload, url: url, key: key)
            }
            func shutdown() async {}
        }
    }

    let scratch: ScratchDirectory
    let clock = ManualClock()
    let transport: RecordingTransport
    let notifications: Int32
    let daemon: Daemon
    let configPath: String
    let logs = LogCapture()
    /// Notifications read from the socket and not yet handed out.
    private let received = Mutex<[String]>([])

    /// - Parameter servers: the `[postgres:NAME]` sections (default: one server that is down).
    /// - Parameters:
    ///   - unset: variables of the default environment to leave out.
    ///   - files: files to write in the scratch directory before the configuration is loaded, by name.
    init(ini: String = DaemonHarness.ini(), variables: [String: String] = [:], unset: Set<String> = [],
         files: [String: String] = [:]) throws {
        scratch = try ScratchDirectory()
        for (name, text) in files { try Self.write(text, to: scratch.file(name)) }
        configPath = scratch.file("agent.ini")
        try Self.write(ini.replacingOccurrences(of: "@SCRATCH@", with: scratch.path), to: configPath)
        notifications = try #require(DatagramSocket.bind(scratch.file("notify")))
        var environmentVariables = ["NOTIFY_SOCKET": scratch.file("notify"), "POSTGRES_AGENT_LISTENER_API_KEY": "k-test",
                                    "POSTGRES_AGENT_POSTGRES_DOWN_PASSWORD": "pw-test"]
        environmentVariables.merge(variables) { $1 }
        for name in unset { environmentVariables[name] = nil }
        let environment = AgentEnvironment(variables: environmentVariables, osUser: "agent", hostname: "test-host")
        let configuration = try environment.loadConfiguration(path: configPath)
        transport = RecordingTransport(clock: clock)
        var options = Daemon.Options(configPath: configPath)
        options.handlesSignals = false
        options.clock = DaemonClock(clock)
        options.shutdownDrain = .seconds(5)
        options.transport = { [transport] in transport.make($0) }
        // Not on the manual clock: the page-out is one more sleeper, and it acts on the test process.
        options.pageOut = nil
        let logs = self.logs
        daemon = try Daemon(configuration: configuration, environment: environment, options: options,
                            levels: LogLevelControl(.debug),
                            logger: Logger(label: "daemon") { _ in LogCapture.Handler(capture: logs) })
    }

    deinit { close(notifications) }

    /// A configuration with one server that is down; `extra` is appended (more keys or sections).
    static func ini(interval: Int = 60, listener: String = "https://listener.test/ingest", server: String = "",
                    extra: String = "") -> String {
        """
        [agent]
        state_dir = @SCRATCH@/state
        interval_seconds = \(interval)
        log_level = debug

        [listener]
        url = \(listener)

        [metrics]
        listen =

        ; The cadence of cycles is checked on a manual clock: activity sampling, with sleepers of its own on
        ; that clock, has a test of its own (ActivitySamplingTests).
        [activity]
        sample_interval_ms = 0

        [postgres:down]
        conninfo = host=127.0.0.1 port=1 dbname=postgres user=agent
        connect_timeout_ms = 1000
        \(server)

        \(extra)
        """
    }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Replaces the configuration file (the next ``Daemon/reload()`` reads it).
    func rewrite(_ ini: String) throws {
        try Self.write(ini.replacingOccurrences(of: "@SCRATCH@", with: scratch.path), to: configPath)
    }

    /// Every notification received since the last call.
    func drainNotifications() -> [String] {
        collectNotifications()
        return received.withLock { messages in
            defer { messages = [] }
            return messages
        }
    }

    /// Reads what is queued on the socket, without blocking. Called at every step of the clock: a Unix
    /// datagram socket queues only `net.unix.max_dgram_qlen` messages (often 10), and the notifier
    /// drops what does not fit, as it must with systemd.
    func collectNotifications() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(notifications, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count < 0 { return }
            let message = String(decoding: buffer.prefix(count), as: UTF8.self)
            received.withLock { $0.append(message) }
        }
    }

    /// Moves the clock from one wake-up to the next until `until`, waiting each time until `sleepers`
    /// parts are asleep again (the daemon is idle then: every part waits on the clock).
    func run(until end: Duration, sleepers: Int) async throws {
        while true {
            await clock.waitForSleepers(sleepers)
            collectNotifications()
            guard let next = clock.nextDeadline, next.offset <= end else { break }
            clock.advance(to: next)
        }
        clock.advance(to: .init(offset: end))
        await clock.waitForSleepers(sleepers)
        collectNotifications()
    }

    /// Waits (yielding, never sleeping) until a part sleeps until `deadline`.
    func waitForDeadline(_ deadline: Duration) async {
        while !clock.deadlines.contains(.init(offset: deadline)) { await Task.yield() }
    }
}

/// A swift-log backend that keeps every line, for assertions on what the daemon said.
final class LogCapture: Sendable {
    struct Line: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])

    var all: [Line] { lines.withLock { $0 } }

    func append(_ line: Line) { lines.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: Logging.LogEvent) {
            var all = metadata
            if let extra = event.metadata { all.merge(extra) { $1 } }
            capture.append(Line(level: event.level, message: "\(event.message)", metadata: all.mapValues { "\($0)" }))
        }
    }
}
