/// Picks the relations a visit sends, one row at a time, in memory bounded by what it keeps: the `limit`
/// rows of highest score, up to `warningLimit` rows past a warning line that are not among them, and one
/// running sum (``RelationOtherSum``) of every other row, so that totals add up. Pure.
///
/// The top rows are a min-heap: a row that beats the lowest of a full heap takes its place, and the row it
/// displaces is passed on at that moment, to the warnings if it is one and there is room, else to the sum.
/// Equal scores keep the row offered first. Only a positive score can make the top: a relation nobody
/// touched in the interval is not "most active" however few relations there are.
package struct RelationSelector<Row: Sendable>: Sendable {
    /// A row in the heap, with what it adds to the sum if it leaves.
    struct Entry: Sendable {
        var row: Row
        var score: Double
        /// Its position among the rows offered: breaks ties and orders the warnings.
        var order: Int
        var warning: Bool
        var deltas: [Double]?
        var bytes: Int64

        /// Whether this row ranks below `other`: a lower score, or the same score and offered later.
        func ranksBelow(_ other: Entry) -> Bool {
            score < other.score || (score == other.score && order > other.order)
        }
    }

    private let limit: Int
    private let warningLimit: Int
    private let counterCount: Int
    /// The top rows; `heap[0]` ranks lowest.
    private var heap: [Entry] = []
    private var warnings: [(order: Int, row: Row)] = []
    private var other = RelationOtherSum(count: 0, bytes: 0, deltas: nil)
    private var offered = 0

    /// A selector that keeps `limit` rows by score and `warningLimit` warning rows besides; the sum of the
    /// others' deltas has `counterCount` columns. Negative limits count as 0.
    package init(limit: Int, warningLimit: Int, counterCount: Int) {
        self.limit = max(0, limit)
        self.warningLimit = max(0, warningLimit)
        self.counterCount = max(0, counterCount)
    }

    /// Offers one relation.
    ///
    /// - Parameters:
    ///   - row: what is sent if it is kept.
    ///   - score: its activity; the highest scores above 0 are kept.
    ///   - warning: whether it is past a warning line, so kept (room permitting) even outside the top.
    ///   - deltas: its counter deltas, nil when it has none (new, reset); summed into the others if it is
    ///     not kept, skipping NaN, over the first `counterCount` columns.
    ///   - bytes: its size, summed into the others if it is not kept.
    package mutating func offer(_ row: Row, score: Double, warning: Bool, deltas: [Double]?, bytes: Int64) {
        let entry = Entry(row: row, score: score.isNaN ? -.infinity : score, order: offered, warning: warning,
                          deltas: deltas, bytes: bytes)
        offered += 1
        if !(entry.score > 0) {
            spill(entry)
        } else if heap.count < limit {
            push(entry)
        } else if let lowest = heap.first, lowest.ranksBelow(entry) {
            heap[0] = entry
            siftDown(from: 0)
            spill(lowest)
        } else {
            spill(entry)
        }
    }

    /// What was kept and the sum of the rest.
    ///
    /// - Returns: `top`, the kept rows by score, highest first (ties in the order offered); `warnings`, the
    ///   kept warning rows outside the top, in the order offered; `other`, every other row summed.
    package func finish() -> (top: [Row], warnings: [Row], other: RelationOtherSum) {
        let top = heap.sorted { $1.ranksBelow($0) }.map(\.row)
        let kept = warnings.sorted { $0.order < $1.order }.map { $0.row }
        return (top, kept, other)
    }

    /// A row that is not (or no longer) in the top: a warning while there is room, else into the sum.
    private mutating func spill(_ entry: Entry) {
        if entry.warning && warnings.count < warningLimit {
            warnings.append((order: entry.order, row: entry.row))
            return
        }
        other.count += 1
        other.bytes += entry.bytes
        guard let deltas = entry.deltas else { return }
        var sum = other.deltas ?? [Double](repeating: 0, count: counterCount)
        other.deltas = nil  // so that `sum` is the only reference and is changed in place
        for column in 0..<min(counterCount, deltas.count) where !deltas[column].isNaN {
            sum[column] += deltas[column]
        }
        other.deltas = sum
    }

    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].ranksBelow(heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var lowest = left
            let right = left + 1
            if right < heap.count, heap[right].ranksBelow(heap[left]) { lowest = right }
            guard heap[lowest].ranksBelow(heap[parent]) else { return }
            heap.swapAt(parent, lowest)
            parent = lowest
        }
    }
}

/// The relations a ``RelationSelector`` did not keep, summed: what becomes a visit's `tables_other` or
/// `indexes_other`.
package struct RelationOtherSum: Sendable, Equatable {
    /// How many relations.
    package var count: Int
    /// Their summed sizes, bytes.
    package var bytes: Int64
    /// Their summed counter deltas, column by column, NaN skipped; nil when none of them had deltas.
    package var deltas: [Double]?

    /// A sum from its parts.
    package init(count: Int, bytes: Int64, deltas: [Double]?) {
        self.count = count
        self.bytes = bytes
        self.deltas = deltas
    }
}
