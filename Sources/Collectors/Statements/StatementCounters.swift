/// The additive counters of one `pg_stat_statements` entry (min/max/stddev are not additive and not kept).
package struct StatementCounters: Sendable, Equatable, Codable {
    package var calls: Int64 = 0
    package var totalExecTime: Double = 0
    package var plans: Int64 = 0
    package var totalPlanTime: Double = 0
    package var rows: Int64 = 0
    package var sharedBlksHit: Int64 = 0
    package var sharedBlksRead: Int64 = 0
    package var sharedBlksDirtied: Int64 = 0
    package var sharedBlksWritten: Int64 = 0
    package var localBlksHit: Int64 = 0
    package var localBlksRead: Int64 = 0
    package var localBlksDirtied: Int64 = 0
    package var localBlksWritten: Int64 = 0
    package var tempBlksRead: Int64 = 0
    package var tempBlksWritten: Int64 = 0
    package var blkReadTime: Double = 0
    package var blkWriteTime: Double = 0
    package var walRecords: Int64 = 0
    package var walFpi: Int64 = 0
    package var walBytes: Double = 0

    package init() {}

    /// Integer counters, in a fixed order (for arithmetic and compact persistence).
    var integers: [Int64] {
        get {
            [calls, plans, rows, sharedBlksHit, sharedBlksRead, sharedBlksDirtied, sharedBlksWritten,
             localBlksHit, localBlksRead, localBlksDirtied, localBlksWritten, tempBlksRead, tempBlksWritten,
             walRecords, walFpi]
        }
        set {
            calls = newValue[0]; plans = newValue[1]; rows = newValue[2]
            sharedBlksHit = newValue[3]; sharedBlksRead = newValue[4]
            sharedBlksDirtied = newValue[5]; sharedBlksWritten = newValue[6]
            localBlksHit = newValue[7]; localBlksRead = newValue[8]
            localBlksDirtied = newValue[9]; localBlksWritten = newValue[10]
            tempBlksRead = newValue[11]; tempBlksWritten = newValue[12]
            walRecords = newValue[13]; walFpi = newValue[14]
        }
    }

    /// Floating-point counters, in a fixed order.
    var reals: [Double] {
        get { [totalExecTime, totalPlanTime, blkReadTime, blkWriteTime, walBytes] }
        set {
            totalExecTime = newValue[0]; totalPlanTime = newValue[1]
            blkReadTime = newValue[2]; blkWriteTime = newValue[3]; walBytes = newValue[4]
        }
    }

    /// True when any counter is lower than in `earlier`: the entry was reset, evicted and re-created,
    /// or the server lost its statistics. Its current values are then all we can trust.
    package func wentBackwards(from earlier: StatementCounters) -> Bool {
        zip(integers, earlier.integers).contains { $0 < $1 } || zip(reals, earlier.reals).contains { $0 < $1 - 1e-6 }
    }

    /// `self − earlier`, counter by counter.
    package func subtracting(_ earlier: StatementCounters) -> StatementCounters {
        var result = StatementCounters()
        result.integers = zip(integers, earlier.integers).map { $0 - $1 }
        result.reals = zip(reals, earlier.reals).map { max(0, $0 - $1) }
        return result
    }

    /// Adds `other` into `self`, counter by counter.
    package mutating func add(_ other: StatementCounters) {
        integers = zip(integers, other.integers).map { $0 + $1 }
        reals = zip(reals, other.reals).map { $0 + $1 }
    }

    /// True when nothing happened.
    package var isZero: Bool { calls == 0 && plans == 0 && totalExecTime == 0 && totalPlanTime == 0 }

    // Compact Codable form: two arrays, so a state file with 5,000 entries stays small.
    enum CodingKeys: String, CodingKey { case i, r }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let ints = try container.decode([Int64].self, forKey: .i)
        let reals = try container.decode([Double].self, forKey: .r)
        guard ints.count == 15, reals.count == 5 else {
            throw DecodingError.dataCorruptedError(forKey: .i, in: container, debugDescription: "counter count")
        }
        self.integers = ints
        self.reals = reals
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(integers, forKey: .i)
        try container.encode(reals, forKey: .r)
    }
}
