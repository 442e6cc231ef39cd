@testable import Listener
import TestSupport
import Testing

@Suite struct HealthCheckTests {
    @Test func withoutAValidKeyTheAnswerIsOKWithoutCounts() async throws {
        let scratch = try ScratchDirectory()
        let store = try BatchStore(path: scratch.file("store.sqlite"))
        _ = try await store.store(BatchStoreTests.batch("a"), receivedAt: 1)
        let check = HealthCheck(tokens: try BearerTokens(keys: ["the-key"]), store: store)
        for authorization in [nil, "", "Bearer wrong-key", "Bearer the-ke", "Basic the-key", "the-key"] {
            let answer = await check.answer(authorization: authorization)
            #expect(answer.status == 200, "\(authorization ?? "no header")")
            #expect(answer.json == #"{"status":"ok"}"#, "\(authorization ?? "no header"): \(answer.json)")
            #expect(answer.failure == nil)
        }
    }

    @Test func aValidKeySeesTheCounts() async throws {
        let scratch = try ScratchDirectory()
        let store = try BatchStore(path: scratch.file("store.sqlite"))
        _ = try await store.store(BatchStoreTests.batch("a"), receivedAt: 1)
        _ = try await store.store(BatchStoreTests.batch("a"), receivedAt: 2)
        let check = HealthCheck(tokens: try BearerTokens(keys: ["old-key", "the-key"]), store: store)
        let answer = await check.answer(authorization: "Bearer the-key")
        #expect(answer.status == 200)
        #expect(answer.json == #"{"status":"ok","batches":1,"duplicates":1}"#)
        let slots = ConcurrencyLimiter(capacity: 2)
        #expect(slots.tryAcquire())
        let busy = HealthCheck(tokens: try BearerTokens(keys: ["the-key"]), store: store, slots: slots)
        #expect(await busy.answer(authorization: "Bearer the-key").json == #"{"status":"ok","batches":1,"duplicates":1,"ingests":1}"#)
        #expect(await busy.answer(authorization: nil).json == #"{"status":"ok"}"#, "the slots only for the key")
    }
}
