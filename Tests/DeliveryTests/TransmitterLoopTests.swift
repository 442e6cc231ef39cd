import AgentConfiguration
import AgentSchema
@testable import Delivery
import GRDB
import Logging
import Synchronization
import TestSupport
import Testing

/// The transmitter's loop over a real spool, a scripted transport and a manual clock: what it sends,
/// when, and what the spool holds after each answer. No listener, no wall-clock wait: the test moves the
/// time from one sleep of the transmitter to the next.
@Suite struct TransmitterLoopTests {
    /// Answers from a script, then `.acknowledged`; records each send's batch_id, key and clock time.
    final class ScriptedTransport: PayloadTransport {
        struct Send: Equatable {
            let batchID: String
            let key: String
            let at: Duration
        }

        private let state: Mutex<(script: [DeliveryOutcome], sends: [Send])>
        private let clock: ManualClock

        init(_ script: [DeliveryOutcome], clock: ManualClock) {
            state = Mutex((script, []))
            self.clock = clock
        }

        var sends: [Send] { state.withLock { $0.sends } }

        func send(_ payload: SpooledPayload, key: Secret) async -> DeliveryOutcome {
            let at = clock.now.offset
            return state.withLock { state in
                state.sends.append(Send(batchID: payload.batchID, key: key.value, at: at))
                return state.script.isEmpty ? .acknowledged : state.script.removeFirst()
            }
        }

        func shutdown() async {}
    }

    /// The key the transmitter reads before each send; a test replaces it as an operator would the file.
    final class CurrentKey: Sendable {
        private let value: Mutex<String?>
        init(_ value: String?) { self.value = Mutex(value) }
        func set(_ key: String?) { value.withLock { $0 = key } }
        func secret() -> Secret? { value.withLock { $0.map(Secret.init) } }
    }

    struct Setup {
        let scratch: ScratchDirectory
        let spool: Spool
        let clock = ManualClock()
        let transport: ScriptedTransport
        let key: CurrentKey
        let transmitter: Transmitter<ManualClock>

        init(script: [DeliveryOutcome], payloads: Int, key: String? = "k1") async throws {
            scratch = try ScratchDirectory()
            spool = try Spool(path: scratch.file("spool.sqlite"), limits: .init(maxBytes: 10 << 20))
            for index in 0..<payloads {
                try await spool.append(kind: .snapshot, instance: "main", batchID: "b\(index)", json: SpoolTests.json(index))
            }
            let transport = ScriptedTransport(script, clock: clock)
            let key = CurrentKey(key)
            self.transport = transport
            self.key = key
            transmitter = Transmitter(
                spool: spool, name: "script", transport: { transport }, apiKey: { key.secret() }, clock: clock,
                policy: TransmitterPolicy(breaker: CircuitBreaker(failureThreshold: 3, coolDown: .seconds(30), maximumCoolDown: .seconds(120)),
                                          backoff: Backoff(base: .seconds(1), maximum: .seconds(8)),
                                          authenticationRetry: .seconds(60), idlePoll: .seconds(1)),
                random: { 1 }, idlePoll: .seconds(1), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        }

        /// Runs the transmitter, moving the clock to each of its wake-ups, until the spool is empty (or
        /// `limit` wake-ups passed); returns the clock's time then.
        func runUntilEmpty(limit: Int = 100) async throws -> Duration {
            let transmitter = self.transmitter
            let task = Task { try await transmitter.run() }
            defer { task.cancel() }
            for _ in 0..<limit {
                await clock.waitForSleepers()
                if try await spool.isEmpty() { break }
                clock.advance(to: try #require(clock.nextDeadline))
            }
            task.cancel()
            _ = try? await task.value
            return clock.now.offset
        }
    }

    @Test func threeFailuresOpenTheBreakerNothingGoesDuringTheCoolDownAndAllArriveInOrder() async throws {
        let setup = try await Setup(script: [.retry(notBefore: nil), .retry(notBefore: nil), .retry(notBefore: nil)],
                                    payloads: 3)
        _ = try await setup.runUntilEmpty()
        let sends = setup.transport.sends
        // Backoff 1 s, 2 s after the first two failures; the third opens the breaker: its own backoff
        // (4 s) passes, then the gate holds the send until the 30 s cool-down from the failure is over.
        #expect(sends.map(\.at) == [.zero, .seconds(1), .seconds(3), .seconds(33), .seconds(33), .seconds(33)])
        #expect(sends.map(\.batchID) == ["b0", "b0", "b0", "b0", "b1", "b2"])
        #expect(setup.transmitter.status.sent == 3)
        #expect(setup.transmitter.status.retries == 3)
        #expect(setup.transmitter.status.breaker == .closed)
        #expect(try await setup.spool.status().deadLetters == 0)
    }

    @Test func retryAfterIsHonouredWhenLongerThanTheBackoff() async throws {
        let setup = try await Setup(script: [.retry(notBefore: .seconds(120))], payloads: 1)
        _ = try await setup.runUntilEmpty()
        #expect(setup.transport.sends.map(\.at) == [.zero, .seconds(120)])
    }

    @Test func aRefusedKeyPausesKeepsThePayloadAndANewKeyIsUsedOnTheNextTry() async throws {
        let setup = try await Setup(script: [.authenticationRejected(status: 401)], payloads: 2)
        let transmitter = setup.transmitter
        let task = Task { try await transmitter.run() }
        await setup.clock.waitForSleepers()
        #expect(setup.transmitter.status.authenticationRejected)
        #expect(setup.clock.nextDeadline?.offset == .seconds(60))
        let held = try #require(try await setup.spool.oldest())
        #expect(held.batchID == "b0")
        #expect(held.attempts == 0)
        setup.key.set("k2")
        setup.clock.advance(to: try #require(setup.clock.nextDeadline))
        while !(try await setup.spool.isEmpty()) { await setup.clock.waitForSleepers(); setup.clock.advance(by: .seconds(1)) }
        task.cancel()
        _ = try? await task.value
        #expect(setup.transport.sends.map(\.key) == ["k1", "k2", "k2"])
        #expect(setup.transport.sends.map(\.at) == [.zero, .seconds(60), .seconds(60)])
        #expect(!setup.transmitter.status.authenticationRejected)
        #expect(setup.transmitter.status.breaker == .closed)
    }

    @Test func noKeyAtAllIsARefusalAndNothingIsSent() async throws {
        let setup = try await Setup(script: [], payloads: 1, key: nil)
        let transmitter = setup.transmitter
        let task = Task { try await transmitter.run() }
        await setup.clock.waitForSleepers()
        task.cancel()
        _ = try? await task.value
        #expect(setup.transport.sends.isEmpty)
        #expect(setup.transmitter.status.authenticationRejected)
        #expect(try await setup.spool.status().depth == 1)
    }

    @Test func aCondemnedPayloadIsDeadLetteredAndTheNextGoesAtOnce() async throws {
        let setup = try await Setup(script: [.rejected(status: 413, reason: "payload_too_large: over the limit")], payloads: 2)
        _ = try await setup.runUntilEmpty()
        #expect(setup.transport.sends.map(\.at) == [.zero, .zero])
        #expect(setup.transport.sends.map(\.batchID) == ["b0", "b1"])
        let status = try await setup.spool.status()
        #expect(status.deadLetters == 1)
        #expect(status.depth == 0)
        #expect(setup.transmitter.status.deadLettered == 1)
        #expect(setup.transmitter.status.sent == 1)
        #expect(try await setup.spool.deadLetters().map(\.reason) == ["payload_too_large: over the limit"])
    }

    /// A wrong URL answers 404 to everything: nothing is dead-lettered, sending pauses 1 s, 2 s, 4 s …
    /// with the payload kept, and everything goes once the answer changes.
    @Test func aWrongPlaceAnswerPausesWithBackoffAndDeadLettersNothing() async throws {
        let setup = try await Setup(script: [.misdirected(status: 404), .misdirected(status: 404), .misdirected(status: 405)],
                                    payloads: 2)
        _ = try await setup.runUntilEmpty()
        #expect(setup.transport.sends.map(\.at) == [.zero, .seconds(1), .seconds(3), .seconds(7), .seconds(7)])
        #expect(setup.transport.sends.map(\.batchID) == ["b0", "b0", "b0", "b0", "b1"])
        let status = try await setup.spool.status()
        #expect(status.deadLetters == 0)
        #expect(status.depth == 0)
        #expect(setup.transmitter.status.deadLettered == 0)
        #expect(setup.transmitter.status.misdirectedStatus == nil)
        #expect(setup.transmitter.status.breaker == .closed)
    }

    /// Once the spool is found empty the transmitter waits for an append, or looks again after
    /// `idleQueryEvery` polls' time: a row written behind the spool's back (as another process would)
    /// waits for one of the two, and an append is sent at once, not at the next poll.
    @Test func anEmptySpoolIsLookedAtAgainOnAnAppendOrAfterTheIdleWait() async throws {
        let setup = try await Setup(script: [], payloads: 0)
        let transmitter = setup.transmitter
        let task = Task { try await transmitter.run() }
        defer { task.cancel() }
        let wait = Duration.seconds(Int64(Transmitter<ManualClock>.idleQueryEvery))
        await setup.clock.waitForSleepers()
        #expect(setup.clock.deadlines.map(\.offset) == [wait])
        try await Self.writeBehindTheSpoolsBack(setup.spool, batchID: "behind")
        setup.clock.advance(by: .seconds(5))
        #expect(setup.transport.sends.isEmpty)
        try await setup.spool.append(kind: .snapshot, instance: "main", batchID: "appended", json: SpoolTests.json(1))
        // Bounded, so that a transmitter that does not wake fails the test instead of hanging it.
        for _ in 0..<1_000_000 where setup.transport.sends.count < 2 || setup.clock.deadlines.map(\.offset) != [.seconds(5) + wait] {
            await Task.yield()
        }
        #expect(setup.transport.sends.map(\.batchID) == ["behind", "appended"])
        #expect(setup.transport.sends.map(\.at) == [.seconds(5), .seconds(5)])

        // Behind its back again: found when the idle wait is over, not before.
        try await Self.writeBehindTheSpoolsBack(setup.spool, batchID: "behind-2")
        setup.clock.advance(by: wait - .seconds(1))
        #expect(setup.transport.sends.count == 2)
        setup.clock.advance(by: .seconds(1))
        for _ in 0..<1_000_000 where setup.transport.sends.count < 3 { await Task.yield() }
        #expect(setup.transport.sends.last?.batchID == "behind-2")
        #expect(setup.transport.sends.last?.at == .seconds(5) + wait)
        task.cancel()
        _ = try? await task.value
    }

    static func writeBehindTheSpoolsBack(_ spool: Spool, batchID: String) async throws {
        try await spool.pool.write { db in
            try db.execute(sql: """
                INSERT INTO payloads (batch_id, kind, instance, created_at, size, body)
                VALUES (?, 'snapshot', 'main', 0, 1, x'00')
                """, arguments: [batchID])
        }
    }
}
