import AgentSchema
@testable import Collectors
import Testing

/// `pg_activity` keeps the longest-running backends and counts the others.
@Suite struct ActivityRowLimitTests {
    static func row(_ pid: Int, start: Double?) -> ActivityRow {
        var row = ActivityRow(pid: pid)
        row.queryStart = start
        return row
    }

    @Test func keepsTheOldestQueryStartsAndCountsTheRest() {
        let rows = [Self.row(5, start: 300), Self.row(3, start: nil), Self.row(9, start: 100),
                    Self.row(1, start: 200), Self.row(2, start: 100)]
        let limited = ActivityCollector.longestRunning(rows, maximum: 3)
        #expect(limited.rows.map(\.pid) == [2, 9, 1], "oldest first, pid breaks a tie")
        #expect(limited.omitted == 2)
        #expect(limited.rows.count + limited.omitted == rows.count)
    }

    @Test func rowsWithoutStartComeLast() {
        let rows = [Self.row(4, start: nil), Self.row(8, start: 50), Self.row(2, start: nil)]
        let limited = ActivityCollector.longestRunning(rows, maximum: 10)
        #expect(limited.rows.map(\.pid) == [8, 2, 4])
        #expect(limited.omitted == 0)
    }

    @Test func tenThousandBusyBackendsGiveTheMaximum() {
        let rows = (1...10_000).map { Self.row($0, start: Double(20_000 - $0)) }
        let limited = ActivityCollector.longestRunning(rows, maximum: ActivityCollector.defaultMaximumRows)
        #expect(limited.rows.count == ActivityCollector.defaultMaximumRows)
        #expect(limited.rows.first?.pid == 10_000)
        #expect(limited.omitted == 10_000 - ActivityCollector.defaultMaximumRows)
    }
}
