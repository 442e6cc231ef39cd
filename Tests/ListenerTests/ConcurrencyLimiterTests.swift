@testable import Listener
import Testing

@Suite struct ConcurrencyLimiterTests {
    @Test func grantsUpToItsCapacityThenRefusesUntilASlotIsReleased() {
        let limiter = ConcurrencyLimiter(capacity: 2)
        #expect(limiter.tryAcquire())
        #expect(limiter.tryAcquire())
        #expect(!limiter.tryAcquire(), "the third ingest at once is refused")
        #expect(limiter.inUse == 2)
        limiter.release()
        #expect(limiter.inUse == 1)
        #expect(limiter.tryAcquire(), "a released slot can be taken again")
        #expect(!limiter.tryAcquire())
        limiter.release()
        limiter.release()
        #expect(limiter.inUse == 0)
    }

    @Test func neverGrantsMoreThanItsCapacityToRacingRequests() async {
        let limiter = ConcurrencyLimiter(capacity: 4)
        let granted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 { group.addTask { limiter.tryAcquire() } }
            var count = 0
            for await taken in group where taken { count += 1 }
            return count
        }
        #expect(granted == 4)
        #expect(limiter.inUse == 4)
    }

    @Test func slotsTakenAndReleasedConcurrentlyAllComeBack() async {
        let limiter = ConcurrencyLimiter(capacity: 3)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<500 {
                group.addTask {
                    if limiter.tryAcquire() {
                        #expect(limiter.inUse <= 3)
                        limiter.release()
                    }
                }
            }
        }
        #expect(limiter.inUse == 0)
        #expect(limiter.capacity == 3)
    }
}
