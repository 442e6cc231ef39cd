import AgentSchema
import Collectors
import Testing

/// The statements `/metrics` shows: ranked by cumulative time, one per (role, database, query id).
@Suite struct StatementTotalsTests {
    static func counters(calls: Int64, ms: Double, rows: Int64 = 0) -> StatementCounters {
        var c = StatementCounters()
        c.calls = calls
        c.totalExecTime = ms
        c.rows = rows
        return c
    }

    @Test func ranksByCumulativeTimeAndSumsTopLevelWithNested() {
        let entries: [StatementKey: StatementCounters] = [
            StatementKey(userid: 10, dbid: 5, queryid: 1, toplevel: true): Self.counters(calls: 3, ms: 30, rows: 3),
            StatementKey(userid: 10, dbid: 5, queryid: 1, toplevel: false): Self.counters(calls: 2, ms: 25, rows: 2),
            StatementKey(userid: 10, dbid: 5, queryid: 2, toplevel: true): Self.counters(calls: 1, ms: 50),
            StatementKey(userid: 11, dbid: 5, queryid: 2, toplevel: true): Self.counters(calls: 9, ms: 1),
            StatementKey(userid: 10, dbid: 6, queryid: 3, toplevel: true): Self.counters(calls: 1, ms: 40),
        ]
        let totals = StatementTotals.make(StatementTotals.top(entries, limit: 3), roleNames: [10: "app"], databaseNames: [5: "shop"],
                                          texts: [1: "SELECT $1", 3: "UPDATE t SET a = $1"])
        // Query 1's two entries add up to 55 ms, ahead of query 2 (50) and 3 (40); role 11's query 2 (1 ms)
        // is past the limit.
        #expect(totals.map(\.queryid) == [1, 2, 3])
        #expect(totals[0].calls == 5 && totals[0].totalExecTimeMs == 55 && totals[0].rows == 5)
        #expect(totals[0].user == "app" && totals[0].datname == "shop" && totals[0].query == "SELECT $1")
        #expect(totals[1].query == nil, "a text not fetched stays absent")
        #expect(totals[2].datname == "6", "a database whose name is not known shows its oid")
        #expect(StatementTotals.make(StatementTotals.top(entries, limit: 0), roleNames: [:], databaseNames: [:], texts: [:]).isEmpty)
    }
}
