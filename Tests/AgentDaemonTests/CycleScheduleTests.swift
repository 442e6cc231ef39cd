import AgentDaemon
import Testing

@Suite struct CycleScheduleTests {
    @Test func onTimeCyclesKeepAFixedCadenceWhateverTheirLength() {
        var schedule = CycleSchedule(interval: .seconds(60), start: .seconds(100))
        #expect(schedule.finish(at: .seconds(101)) == .init(missed: 0, overrun: .zero))
        #expect(schedule.next == .seconds(160))
        #expect(schedule.finish(at: .seconds(219)) == .init(missed: 0, overrun: .zero))
        #expect(schedule.next == .seconds(220), "no drift from cycle lengths")
        #expect(schedule.missedTicks == 0)
    }

    @Test func aLateCycleIsFollowedAtOnceAndItsMissedTicksAreCounted() {
        var schedule = CycleSchedule(interval: .seconds(10), start: .zero)
        // Ran 25 s: the ticks at 10 and 20 passed during it.
        #expect(schedule.finish(at: .seconds(25)) == .init(missed: 2, overrun: .seconds(15)))
        #expect(schedule.next == .seconds(25), "the next cycle starts at once, once")
        #expect(schedule.finish(at: .seconds(26)) == .init(missed: 0, overrun: .zero))
        #expect(schedule.next == .seconds(35))
        // Ending exactly at the next tick is on time.
        #expect(schedule.finish(at: .seconds(45)) == .init(missed: 0, overrun: .zero))
        #expect(schedule.finish(at: .milliseconds(55_001)).missed == 1)
        #expect(schedule.missedTicks == 3)
    }
}
