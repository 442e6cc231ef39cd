@testable import AgentDaemon
import AgentConfiguration
import Foundation
import Logging
import TestSupport
import Testing

/// What a reload (SIGHUP) does with each key, as `docs/configuration.md` says: which parts of the daemon
/// it restarts (the supervisors compare these settings), and which keys only a restart can apply.
@Suite struct ConfigurationReloadTests {
    /// A part of the daemon that a changed key restarts.
    enum Part: String, Sendable {
        case logs, snapshots, transmitter
    }

    /// One key changed in the file, and the parts that must restart for it.
    struct Change: Sendable, CustomTestStringConvertible {
        let section: String
        let key: String
        let value: String
        let restarts: Set<Part>
        var testDescription: String { "[\(section)] \(key)" }
    }

    /// The file in force before the reload; `@SCRATCH@` is the scratch directory.
    static let base: [(section: String, keys: [(String, String)])] = [
        ("agent", [("state_dir", "@SCRATCH@/state"), ("interval_seconds", "60"), ("log_level", "info"),
                   ("project", "bitville")]),
        ("listener", [("url", "https://listener.test/ingest"), ("timeout_ms", "10000")]),
        ("metrics", [("listen", "127.0.0.1:9188")]),
        ("spool", [("max_size_mb", "100"), ("min_free_disk_mb", "256")]),
        ("privacy", [("redact_query_literals", "true")]),
        ("collectors", [("top_statements", "100")]),
        ("correlation", []),
        ("logs", [("path", "@SCRATCH@/pglog"), ("format", "auto"), ("prefix", "auto")]),
        ("postgres:down", [("conninfo", "host=127.0.0.1 port=1 dbname=postgres user=agent"),
                           ("statement_timeout_ms", "5000"), ("connect_timeout_ms", "1000")]),
    ]

    /// The base file with `change` applied (a key the base lacks is added to its section).
    static func ini(_ change: Change? = nil, extraSections: String = "") -> String {
        var text = ""
        for (section, keys) in base {
            text += "[\(section)]\n"
            var keys = keys
            if let change, change.section == section {
                if let index = keys.firstIndex(where: { $0.0 == change.key }) {
                    keys[index].1 = change.value
                } else {
                    keys.append((change.key, change.value))
                }
            }
            for (key, value) in keys { text += "\(key) = \(value)\n" }
            text += "\n"
        }
        return text + extraSections
    }

    /// A reloader over a hub that holds the base configuration.
    struct Fixture {
        let scratch: ScratchDirectory
        let path: String
        let environment: AgentEnvironment
        let hub: ConfigurationHub
        let levels = LogLevelControl(.info)
        let logs = LogCapture()

        init() throws {
            scratch = try ScratchDirectory()
            path = scratch.file("agent.ini")
            environment = AgentEnvironment(variables: ["POSTGRES_AGENT_LISTENER_API_KEY": "k-test"],
                                           osUser: "agent", hostname: "test-host")
            try Self.write(ConfigurationReloadTests.ini(), scratch: scratch, path: path)
            hub = ConfigurationHub(try environment.loadConfiguration(path: path))
        }

        func write(_ ini: String) throws {
            try Self.write(ini, scratch: scratch, path: path)
        }

        static func write(_ ini: String, scratch: ScratchDirectory, path: String) throws {
            try Data(ini.replacingOccurrences(of: "@SCRATCH@", with: scratch.path).utf8)
                .write(to: URL(fileURLWithPath: path))
        }

        func reload() {
            let logs = self.logs
            ConfigurationReloader(path: path, environment: environment, hub: hub, levels: levels,
                                  logger: Logger(label: "reload") { _ in LogCapture.Handler(capture: logs) }).reload()
        }
    }

    /// The parts whose settings differ between two configurations.
    static func restarted(from old: AgentConfiguration, to new: AgentConfiguration) -> Set<Part> {
        var parts: Set<Part> = []
        if DaemonPartSettings.logs(of: "down", in: old) != DaemonPartSettings.logs(of: "down", in: new) { parts.insert(.logs) }
        if DaemonPartSettings.snapshots(of: "down", in: old) != DaemonPartSettings.snapshots(of: "down", in: new) {
            parts.insert(.snapshots)
        }
        if old.listener != new.listener { parts.insert(.transmitter) }
        return parts
    }

    static let reloadable: [Change] = [
        Change(section: "agent", key: "interval_seconds", value: "30", restarts: [.snapshots]),
        Change(section: "agent", key: "project", value: "shop", restarts: [.snapshots, .logs]),
        Change(section: "agent", key: "log_level", value: "debug", restarts: []),
        Change(section: "postgres:down", key: "conninfo", value: "host=127.0.0.1 port=2 dbname=postgres user=agent",
               restarts: [.snapshots, .logs]),
        Change(section: "postgres:down", key: "statement_timeout_ms", value: "2000", restarts: [.snapshots, .logs]),
        Change(section: "postgres:down", key: "log_path", value: "@SCRATCH@/other", restarts: [.logs]),
        Change(section: "postgres:down", key: "log_format", value: "csvlog", restarts: [.logs]),
        Change(section: "postgres:down", key: "log_prefix", value: "\"%m [%p] \"", restarts: [.logs]),
        Change(section: "logs", key: "path", value: "@SCRATCH@/other", restarts: [.logs]),
        Change(section: "logs", key: "format", value: "jsonlog", restarts: [.logs]),
        Change(section: "logs", key: "prefix", value: "\"%m [%p] %q%u@%d \"", restarts: [.logs]),
        Change(section: "collectors", key: "top_statements", value: "50", restarts: [.snapshots]),
        Change(section: "privacy", key: "redact_query_literals", value: "false", restarts: [.snapshots, .logs]),
        Change(section: "correlation", key: "pattern", value: "^shop-([0-9a-f]+)$", restarts: [.snapshots, .logs]),
        Change(section: "listener", key: "url", value: "https://other.test/ingest", restarts: [.transmitter]),
        Change(section: "listener", key: "timeout_ms", value: "2000", restarts: [.transmitter]),
    ]

    @Test(arguments: reloadable) func aReloadableKeyIsPutInForceAndRestartsOnlyItsParts(_ change: Change) throws {
        let fixture = try Fixture()
        let before = fixture.hub.current
        try fixture.write(Self.ini(change))
        fixture.reload()
        let after = fixture.hub.current
        #expect(after != before, "the new configuration is in force")
        #expect(Self.restarted(from: before, to: after) == change.restarts)
        #expect(fixture.logs.all.contains { $0.message == "configuration reloaded" })
        #expect(fixture.levels.current == (change.key == "log_level" ? .debug : .info), "the log level applies at once")
    }

    static let restartOnly: [(change: Change, names: String)] = [
        (Change(section: "agent", key: "state_dir", value: "@SCRATCH@/elsewhere", restarts: []), "agent.state_dir"),
        (Change(section: "spool", key: "max_size_mb", value: "50", restarts: []), "spool"),
        (Change(section: "spool", key: "min_free_disk_mb", value: "100", restarts: []), "spool"),
        (Change(section: "metrics", key: "listen", value: "127.0.0.1:9999", restarts: []), "metrics.listen"),
    ]

    @Test(arguments: restartOnly) func aRestartOnlyKeyMakesTheReloadRefuseTheWholeFile(_ change: Change, names key: String) throws {
        let fixture = try Fixture()
        let before = fixture.hub.current
        // The refused file also changes a reloadable key: nothing of it applies.
        var ini = Self.ini(change)
        ini = ini.replacingOccurrences(of: "interval_seconds = 60", with: "interval_seconds = 30")
        try fixture.write(ini)
        fixture.reload()
        #expect(fixture.hub.current == before, "the configuration in force stays")
        let refusal = try #require(fixture.logs.all.first { $0.level == .error })
        #expect(refusal.message == "the new configuration is refused; the one in force stays")
        #expect(refusal.metadata["error"]?.contains(key) == true, "\(refusal.metadata)")
        #expect(refusal.metadata["error"]?.contains("only a restart can apply it") == true)
    }

    @Test func anAddedServerMakesTheReloadRefuseTheWholeFile() throws {
        let fixture = try Fixture()
        let before = fixture.hub.current
        try fixture.write(Self.ini(extraSections: "[postgres:second]\nconninfo = host=127.0.0.1 port=3 dbname=postgres\nlog_path = @SCRATCH@/second\n"))
        fixture.reload()
        #expect(fixture.hub.current == before)
        #expect(fixture.logs.all.contains { $0.metadata["error"]?.contains("the set of servers") == true },
                "\(fixture.logs.all.map(\.metadata))")
    }

    @Test func aFileThatDoesNotLoadIsRefusedAndNamesTheKey() throws {
        let fixture = try Fixture()
        let before = fixture.hub.current
        try fixture.write(Self.ini(Change(section: "agent", key: "interval_seconds", value: "soon", restarts: [])))
        fixture.reload()
        #expect(fixture.hub.current == before)
        #expect(fixture.logs.all.contains { $0.metadata["error"]?.contains("interval_seconds") == true })
    }
}
