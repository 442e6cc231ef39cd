import AgentSchema
@testable import LogPipeline
import Testing

/// Attribution of entries without an application name to their session, from the log's connection lines
/// and from `pg_stat_activity` snapshots; log time is the clock (no waiting).
@Suite struct SessionTrackerTests {
    let correlation = try! CorrelationExtractor()
    /// 2026-12-07T10:00:00.000Z
    static let t0: Int64 = 1_796_637_600_000

    static func stamp(_ ms: Int64) -> String { LogTimestampReader.format(epochSeconds: ms / 1_000, millisecond: Int(ms % 1_000))! }

    static func entry(_ pid: Int, at ms: Int64?, _ eventClass: LogEventClass = .slowQuery, details: JSONObject? = nil,
                      user: String? = nil, database: String? = nil) -> LogEvent {
        var event = LogEvent()
        event.pid = pid
        event.timestamp = ms.map(stamp)
        event.event = eventClass
        event.details = details
        event.user = user
        event.database = database
        return event
    }

    static func received(_ pid: Int, at ms: Int64?) -> LogEvent {
        entry(pid, at: ms, .connection, details: ["stage": .string("received"), "host": .string("[local]")])
    }

    static func authorized(_ pid: Int, at ms: Int64?, app: String?, user: String = "app", database: String = "shop") -> LogEvent {
        var details: JSONObject = ["stage": .string("authorized"), "user": .string(user), "database": .string(database)]
        if let app { details["application_name"] = .string(app) }
        return entry(pid, at: ms, .connection, details: details)
    }

    /// Runs the events through the tracker in order and returns each one's (correlation id, source).
    func run(_ tracker: inout SessionTracker, _ events: [LogEvent]) -> [(String?, CorrelationSource?)] {
        events.map { event in
            var event = event
            tracker.attribute(&event, correlation: correlation)
            return (event.correlationID, event.correlationSource)
        }
    }

    @Test func theLogsOwnConnectionLinesNameTheSessionUntilItsDisconnection() {
        var tracker = SessionTracker()
        let t = Self.t0
        let results = run(&tracker, [
            Self.received(100, at: t),
            Self.authorized(100, at: t + 2, app: "bitville-aaa1"),
            Self.entry(100, at: t + 50),
            Self.entry(101, at: t + 60),  // another pid: nothing known
            Self.entry(100, at: t + 70, .disconnection),
            Self.entry(100, at: t + 80),  // after the disconnection: not the session's
        ])
        #expect(results.map(\.0) == [nil, "aaa1", "aaa1", nil, "aaa1", nil])
        #expect(results[2].1 == .session)
        #expect(results[3].1 == nil)
    }

    @Test func aReusedPIDNeverInheritsTheOldSessionsID() {
        var tracker = SessionTracker()
        let t = Self.t0
        let results = run(&tracker, [
            Self.received(100, at: t), Self.authorized(100, at: t + 1, app: "bitville-aaa1"),
            Self.entry(100, at: t + 10),
            // No disconnection line (log_disconnections off): the new connection ends the old session.
            Self.received(100, at: t + 20),
            Self.entry(100, at: t + 21, .authenticationFailed),  // before authorization: nobody's yet
            Self.authorized(100, at: t + 22, app: "bitville-bbb2"),
            Self.entry(100, at: t + 30),
            // A session without a name reuses it next: nothing, not bbb2.
            Self.received(100, at: t + 40), Self.authorized(100, at: t + 41, app: nil),
            Self.entry(100, at: t + 50),
        ])
        #expect(results.map(\.0) == [nil, "aaa1", "aaa1", nil, nil, "bbb2", "bbb2", nil, nil, nil])
    }

    @Test func anEntryThatCarriesItsOwnNameIsMarkedAsSuch() {
        var tracker = SessionTracker()
        var event = Self.entry(100, at: Self.t0)
        event.applicationName = "bitville-ccc3"
        event.correlationID = "ccc3"
        tracker.attribute(&event, correlation: correlation)
        #expect(event.correlationSource == .entry)
        #expect(event.correlationID == "ccc3")
    }

    @Test func aSnapshotNamesSessionsTheLogNeverIntroduced() {
        var tracker = SessionTracker()
        let t = Self.t0
        tracker.observe([SessionObservation(pid: 200, backendStart: t, applicationName: "bitville-ddd4", user: "app", database: "shop")],
                        at: t + 5_000, complete: true)
        var results = run(&tracker, [
            Self.entry(200, at: t + 1_000), Self.entry(200, at: t + 9_000),
            Self.entry(200, at: t + 9_500, user: "other", database: "shop"),  // the prefix names another user
            Self.entry(200, at: t - 1_500),  // before the backend started
        ])
        #expect(results.map(\.0) == ["ddd4", "ddd4", nil, nil])
        // The next snapshot no longer shows it: it ended after the last one that did.
        tracker.observe([], at: t + 65_000, complete: true)
        results = run(&tracker, [Self.entry(200, at: t + 4_000), Self.entry(200, at: t + 66_000)])
        #expect(results.map(\.0) == ["ddd4", nil])
    }

    @Test func aSessionThatBeganAfterTheSnapshotLookedIsNotEndedByIt() {
        // The snapshot's time is when it began; a session that connected while it ran is missing from it.
        var tracker = SessionTracker()
        let t = Self.t0
        _ = run(&tracker, [Self.received(700, at: t + 5), Self.authorized(700, at: t + 6, app: "bitville-fed7")])
        tracker.observe([], at: t, complete: true)
        #expect(run(&tracker, [Self.entry(700, at: t + 50)]).map(\.0) == ["fed7"])
        // One that began well before and is missing has ended.
        tracker.observe([], at: t + 60_000, complete: true)
        #expect(run(&tracker, [Self.entry(700, at: t + 61_000)]).map(\.0) == [nil])
    }

    @Test func aSnapshotWithALaterBackendStartIsANewSession() {
        var tracker = SessionTracker()
        let t = Self.t0
        tracker.observe([SessionObservation(pid: 300, backendStart: t, applicationName: "bitville-aaa1")], at: t + 1_000, complete: true)
        tracker.observe([SessionObservation(pid: 300, backendStart: t + 30_000, applicationName: "bitville-bbb2")], at: t + 60_000, complete: true)
        let results = run(&tracker, [Self.entry(300, at: t + 500), Self.entry(300, at: t + 30_500), Self.entry(300, at: t + 61_000)])
        #expect(results.map(\.0) == ["aaa1", "bbb2", "bbb2"])
        // An older snapshot arriving late does not bring the old session back.
        tracker.observe([SessionObservation(pid: 300, backendStart: t, applicationName: "bitville-aaa1")], at: t + 62_000, complete: false)
        #expect(run(&tracker, [Self.entry(300, at: t + 62_500)]).map(\.0) == ["bbb2"])
    }

    @Test func theLogAndASnapshotOfTheSameBackendAreOneSession() {
        var tracker = SessionTracker()
        let t = Self.t0
        // The snapshot saw the backend (start with microseconds, floored) before its connection line was read.
        tracker.observe([SessionObservation(pid: 400, backendStart: t - 1, applicationName: "bitville-eee5")], at: t + 2_000, complete: true)
        let results = run(&tracker, [Self.received(400, at: t), Self.entry(400, at: t + 3_000)])
        #expect(results.map(\.0) == ["eee5", "eee5"])
    }

    @Test func aSessionThatRenamesItselfIsTrustedOnlyUpToItsLastSighting() {
        var tracker = SessionTracker()
        let t = Self.t0
        tracker.observe([SessionObservation(pid: 500, backendStart: t, applicationName: "bitville-aaa1")], at: t + 10_000, complete: true)
        tracker.observe([SessionObservation(pid: 500, backendStart: t, applicationName: "bitville-bbb2")], at: t + 70_000, complete: true)
        let results = run(&tracker, [
            Self.entry(500, at: t + 5_000),   // before the first sighting, under the first name
            Self.entry(500, at: t + 40_000),  // renamed somewhere in between: unknown
            Self.entry(500, at: t + 70_000),  // the second sighting
            Self.entry(500, at: t + 80_000),  // after it: it may have been renamed again
        ])
        #expect(results.map(\.0) == ["aaa1", nil, "bbb2", nil])
    }

    @Test func replicationConnectionsAndLinesWithoutTimeAreHandled() {
        var tracker = SessionTracker()
        var replication = Self.authorized(600, at: nil, app: "bitville-fff6")
        replication.details?["replication"] = .bool(true)
        let results = run(&tracker, [
            Self.received(600, at: nil), replication, Self.entry(600, at: nil),
            Self.received(601, at: nil), Self.authorized(601, at: nil, app: "bitville-abc7"), Self.entry(601, at: nil),
            Self.entry(601, at: nil, .disconnection), Self.entry(601, at: nil),
        ])
        #expect(results.map(\.0) == [nil, nil, nil, nil, "abc7", "abc7", "abc7", nil])
    }

    @Test func endedSessionsAreForgottenAfterTheGracePeriodAndPIDsAreCapped() {
        var tracker = SessionTracker(grace: 60_000, capacity: 16)
        let t = Self.t0
        for pid in 1...100 {
            _ = run(&tracker, [Self.received(pid, at: t + Int64(pid)), Self.authorized(pid, at: t + Int64(pid), app: "bitville-\(pid)")])
        }
        #expect(tracker.trackedPIDs <= 16)
        var small = SessionTracker(grace: 60_000)
        _ = run(&small, [Self.received(1, at: t), Self.entry(1, at: t + 1, .disconnection)])
        #expect(small.trackedPIDs == 1)
        _ = run(&small, [Self.entry(2, at: t + 30_000)])
        #expect(small.trackedPIDs == 1)  // within the grace period
        _ = run(&small, [Self.entry(2, at: t + 90_000)])
        #expect(small.trackedPIDs == 0)
    }

    @Test func parserTimestampsReadBackAsEpochMilliseconds() {
        #expect(SessionTracker.epochMilliseconds(rfc3339: "2026-12-07T10:00:00.000Z") == Self.t0)
        #expect(SessionTracker.epochMilliseconds(rfc3339: Self.stamp(Self.t0 + 86_400_123)) == Self.t0 + 86_400_123)
        #expect(SessionTracker.epochMilliseconds(rfc3339: "2026-12-07 10:00:00") == nil)
    }
}
