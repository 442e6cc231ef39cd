@testable import AgentDaemon
import AgentSchema
import Delivery
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

/// The composed daemon, in process, on a manual clock: when the cycles really run, what a reload
/// restarts, a part that fails and is restarted with backoff, the watchdog, and the shutdown order.
@Suite(.timeLimit(.minutes(2))) struct DaemonInProcessTests {
    /// Shuts the daemon down without moving the clock (every wait of a part ends at shutdown, and the
    /// drain's deadline must not pass while it sends); returns when `run()` has returned.
    ///
    /// While the transmitter drains, the clock moves only when the watchdog, the drain's poll and the
    /// idle sending loop are all asleep: never while a payload is being sent.
    static func shutDown(_ harness: DaemonHarness, _ task: Task<Void, any Error>) async throws {
        let finished = Mutex(false)
        let watcher = Task {
            _ = try? await task.value
            finished.withLock { $0 = true }
        }
        await harness.daemon.shutDown()
        while !finished.withLock({ $0 }) {
            harness.collectNotifications()
            if harness.clock.sleeperCount >= 3, let next = harness.clock.nextDeadline {
                harness.clock.advance(to: next)
            }
            await Task.yield()
        }
        _ = await watcher.value
        try await task.value
        harness.collectNotifications()
    }

    static func snapshots(_ harness: DaemonHarness) -> [DaemonHarness.Delivered] {
        harness.transport.all.filter { $0.kind == "snapshot" }
    }

    static func seconds(_ duration: Duration) -> Int64 { duration.components.seconds }

    @Test func cyclesRunOnTheIntervalAReloadChangesItAndTheListenerAndShutdownDrains() async throws {
        let harness = try DaemonHarness()
        let task = Task { [daemon = harness.daemon] in try await daemon.run() }
        // Steady state: the watchdog, the transmitter and the scheduler wait on the clock; the log
        // source is off (no path).
        try await harness.run(until: .seconds(125), sleepers: 3)
        #expect(harness.clock.deadlines.contains(.init(offset: .seconds(180))), "the next cycle is due at 180 s")
        var snapshots = Self.snapshots(harness)
        #expect(snapshots.map { Self.seconds($0.at) } == [0, 60, 120], "cycles at 0, 60, 120 s, each sent within 0.5 s")
        #expect(snapshots.allSatisfy { $0.url == "https://listener.test/ingest" && $0.instance == "down" })
        #expect(snapshots.allSatisfy { ($0.json["errors"] as? String)?.contains("server") == true },
                "a server that is down gives payloads whose errors say so")
        let early = harness.drainNotifications()
        #expect(early.first?.hasPrefix("READY=1") == true)
        #expect(early.filter { $0.hasPrefix("WATCHDOG=1") }.count == 12, "fed every 10 s: \(early.count) messages")

        // Reload: a shorter interval and another listener. The scheduler restarts (a cycle now, then
        // every 30 s) and the transmitter is rebuilt for the new URL.
        try harness.rewrite(DaemonHarness.ini(interval: 30, listener: "https://other.test/ingest"))
        harness.daemon.reload()
        await harness.waitForDeadline(.seconds(155))
        while harness.transport.madeFor.count < 2 { await Task.yield() }
        #expect(harness.transport.madeFor == ["https://listener.test/ingest", "https://other.test/ingest"])
        try await harness.run(until: .seconds(200), sleepers: 3)
        snapshots = Self.snapshots(harness)
        #expect(snapshots.map { Self.seconds($0.at) } == [0, 60, 120, 125, 155, 185])
        #expect(snapshots.dropFirst(3).allSatisfy { $0.url == "https://other.test/ingest" })

        // Shutdown with payloads waiting: the scheduler stops first (no cycle after), the transmitter
        // drains what waits, then the watchdog says STOPPING=1.
        for index in 0..<3 {
            try await harness.daemon.spool.append(kind: .logs, instance: "down", batchID: "waiting-\(index)",
                                                  json: Array(#"{"kind":"logs","n":\#(index)}"#.utf8))
        }
        try await Self.shutDown(harness, task)
        #expect(try await harness.daemon.spool.isEmpty(), "the drain sent what waited")
        #expect(harness.transport.all.filter { $0.kind == "logs" }.count == 3)
        #expect(Self.snapshots(harness).count == 6, "no cycle after the shutdown began")
        let late = harness.drainNotifications()
        #expect(late.last?.hasPrefix("STOPPING=1") == true, "\(late)")
        let lines = harness.logs.all.map(\.message)
        let stopped = try #require(lines.lastIndex(of: "snapshot cycle stopped"))
        #expect(lines.firstIndex(of: "postgres-agent stopped").map { $0 > stopped } == true)
    }

    @Test func aFailingPartIsRestartedWithBackoffAndAReloadThatFixesItRunsIt() async throws {
        let logDirectory = "@SCRATCH@/pglog"
        // A prefix that does not compile fails the log source each time it starts.
        let broken = DaemonHarness.ini(server: "log_path = \(logDirectory)\nlog_prefix = %m %")
        let harness = try DaemonHarness(ini: broken)
        try FileManager.default.createDirectory(atPath: harness.scratch.file("pglog"), withIntermediateDirectories: true)
        try DaemonHarness.write("2026-12-04 09:00:00.000 UTC [42] LOG:  ready\n", to: harness.scratch.file("pglog/postgresql.log"))
        let task = Task { [daemon = harness.daemon] in try await daemon.run() }
        // Four sleepers: the three of the steady state and the log source's restart backoff.
        try await harness.run(until: .seconds(8), sleepers: 4)
        let failures = harness.logs.all.filter { $0.message == "log tailing of down failed; restarting" }
        #expect(failures.map { $0.metadata["attempt"] } == ["1", "2", "3", "4"], "failed at 0, 1, 3 and 7 s (backoff 1, 2, 4 s)")
        #expect(harness.clock.deadlines.contains(.init(offset: .seconds(15))), "the next try after 8 s more")
        #expect(failures.allSatisfy { $0.metadata["error"]?.contains("logs.prefix") == true })

        // The fix, by reload: the log source starts at the end of its backoff and follows the file.
        try harness.rewrite(DaemonHarness.ini(server: "log_path = \(logDirectory)\nlog_prefix = \"%m [%p] \""))
        harness.daemon.reload()
        try await harness.run(until: .seconds(16), sleepers: 4)
        #expect(harness.logs.all.contains { $0.message == "following the server log" })
        #expect(!harness.logs.all.contains { $0.message == "snapshots of down restarts with the new configuration" },
                "a change of log keys only restarts no snapshots")
        #expect(harness.logs.all.filter { $0.message == "log tailing of down failed; restarting" }.count == 4)
        // The follower starts at the end of the file; what the server writes next is shipped.
        let handle = try #require(FileHandle(forWritingAtPath: harness.scratch.file("pglog/postgresql.log")))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("""
            2026-12-04 09:00:16.000 UTC [42] ERROR:  relation "missing" does not exist
            2026-12-04 09:00:16.500 UTC [42] LOG:  checkpoint starting: time

            """.utf8))
        try handle.close()
        try await harness.run(until: .seconds(20), sleepers: 4)
        let events = harness.transport.all.filter { $0.kind == "logs" }
        #expect(!events.isEmpty, "the log's entry was shipped")
        try await Self.shutDown(harness, task)
    }

    @Test func aStalledLoopStopsTheWatchdogAndItResumesWhenTheLoopBeatsAgain() async throws {
        let harness = try DaemonHarness()
        let task = Task { [daemon = harness.daemon] in try await daemon.run() }
        try await harness.run(until: .seconds(30), sleepers: 3)
        #expect(harness.drainNotifications().filter { $0.hasPrefix("WATCHDOG=1") }.count == 3)
        harness.daemon.heartbeats.beat("stuck", allowance: .seconds(5))
        try await harness.run(until: .seconds(60), sleepers: 3)
        let stalled = harness.drainNotifications()
        #expect(!stalled.contains { $0.hasPrefix("WATCHDOG=1") }, "\(stalled)")
        #expect(stalled.contains { $0.contains("STALLED: stuck") }, "\(stalled)")
        #expect(harness.logs.all.filter { $0.level == .critical }.count == 1, "said once")
        harness.daemon.heartbeats.remove("stuck")
        try await harness.run(until: .seconds(70), sleepers: 3)
        #expect(harness.drainNotifications().contains { $0.hasPrefix("WATCHDOG=1") })
        try await Self.shutDown(harness, task)
    }

    @Test func aRefusedKeyIsReadAgainFromItsFileBeforeTheNextTryUnderTheDefaultPolicy() async throws {
        // The key comes from `api_key_file` only (no variable), as in the unit's setup.
        let ini = DaemonHarness.ini().replacingOccurrences(
            of: "url = https://listener.test/ingest",
            with: "url = https://listener.test/ingest\napi_key_file = @SCRATCH@/listener.key")
        let harness = try DaemonHarness(ini: ini, unset: ["POSTGRES_AGENT_LISTENER_API_KEY"],
                                        files: ["listener.key": "old-key\n"])
        let keyFile = harness.scratch.file("listener.key")
        harness.transport.refusedKeys = ["old-key"]
        let task = Task { [daemon = harness.daemon] in try await daemon.run() }
        try await harness.run(until: .seconds(30), sleepers: 3)
        let refused = try #require(harness.transport.all.first)
        #expect(refused.refused && refused.key == "old-key" && Self.seconds(refused.at) == 0)
        #expect(harness.transport.all.count == 1, "paused after the 401: nothing else is tried")
        #expect(try await harness.daemon.spool.oldest()?.batchID == refused.batchID, "the payload is kept")

        // The operator replaces the file; no reload. The next try, after the default pause of 60 s
        // (TransmitterPolicy's own, not one the test chose), reads it.
        try DaemonHarness.write("new-key\n", to: keyFile)
        try await harness.run(until: .seconds(61), sleepers: 3)
        let after = harness.transport.all.dropFirst()
        let retried = try #require(after.first)
        #expect(retried.batchID == refused.batchID && retried.key == "new-key" && !retried.refused
                && retried.at - refused.at == .seconds(60), "\(after.map { ($0.at, $0.key) })")
        #expect(after.allSatisfy { $0.key == "new-key" && !$0.refused })
        #expect(harness.transport.all.filter { $0.kind == "snapshot" && !$0.refused }.count == 2, "cycles at 0 and 60 s")
        try await Self.shutDown(harness, task)
    }
}

