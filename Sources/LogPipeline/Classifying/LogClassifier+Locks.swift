import AgentSchema
import SQLRedaction

// Locks
extension LogClassifier {
    /// `process 123 still waiting for ShareLock on transaction 456 after 100.1 ms` and the
    /// `acquired`, `avoided deadlock`, `detected deadlock` and `failed to acquire` variants.
    func classifyLockWait(_ rest: Substring, _ event: inout LogEvent) -> Bool {
        let pidText = rest.asciiDigits
        guard let pid = Int64(pidText) else { return false }
        let after = rest[pidText.endIndex...]
        let states: [(String, String)] = [
            (" still waiting for ", "waiting"), (" acquired ", "acquired"),
            (" avoided deadlock for ", "avoided_deadlock"),
            (" detected deadlock while waiting for ", "deadlock_detected"),
            (" failed to acquire ", "failed"),
        ]
        var found: (String, Substring)?
        for (marker, state) in states {
            if let lock = after.after(marker) {
                found = (state, lock)
                break
            }
        }
        guard let (state, lock) = found, let on = lock.range(ofASCII: " on "),
              let afterRange = lock.lastRange(ofASCII: " after ") else { return false }
        var object = lock[on.upperBound..<afterRange.lowerBound]
        if let by = object.range(ofASCII: " by rearranging") { object = object[..<by.lowerBound] }
        var details: JSONObject = [
            "state": .string(state),
            "pid": .integer(pid),
            "lock_mode": .string(String(lock[..<on.lowerBound])),
            "object": .string(String(object)),
            "lock_type": .string(Self.lockType(object)),
        ]
        let waited = lock[afterRange.upperBound...].prefix(beforeASCII: " ")
        if let waited = Double(waited) { details["waited_ms"] = .number(waited) }
        if let detail = event.detail {
            if let holders = Substring(detail).after("holding the lock: ", anywhere: true) {
                let list = holders.range(ofASCII: ". Wait queue: ").map { holders[..<$0.lowerBound] } ?? holders
                details["holders"] = .array(Self.pids(list).map { .integer($0) })
            }
            if let queue = Substring(detail).after("Wait queue: ", anywhere: true) {
                details["waiters"] = .array(Self.pids(queue).map { .integer($0) })
            }
        }
        event.event = .lockWait
        event.details = details
        return true
    }

    /// The kind of object locked: the words before its first number (`transaction`, `relation`,
    /// `tuple`, `advisory lock`, `virtual transaction`, `extension of relation`…).
    static func lockType(_ object: Substring) -> String {
        var words: [Substring] = []
        for word in object.splitASCII(" ") {
            guard let first = word.first, !first.isNumber, first != "(", first != "[" else { break }
            words.append(word)
        }
        return words.joined(separator: " ")
    }

    /// The pids in `12, 34.` (a trailing period and an empty list are fine).
    static func pids(_ list: Substring) -> [Int64] {
        list.splitASCII(",").compactMap { Int64($0.droppingLeading(" ").asciiDigits) }
    }

    /// `deadlock detected`, with DETAIL's `Process N waits for MODE on OBJECT; blocked by process M.`
    /// lines and then `Process N: statement` lines (statements may span lines). The statement lines
    /// are found in any language (`Prozess N: …`, `Processus N : …`), so that they are always redacted.
    func classifyDeadlock(_ event: inout LogEvent, _ spans: inout SQLSpans) {
        event.event = .deadlock
        var details: JSONObject = ["sqlstate": .string("40P01")]
        guard let detail = event.detail else {
            event.details = details
            return
        }
        var order: [Int64] = []
        var processes: [Int64: JSONObject] = [:]
        var statements: [(pid: Int64, range: Range<String.Index>)] = []
        var current: (pid: Int64, start: String.Index, end: String.Index)?
        func flush() {
            guard let (pid, start, end) = current else { return }
            if processes[pid] == nil {
                order.append(pid)
                processes[pid] = ["pid": .integer(pid)]
            }
            statements.append((pid, start..<end))
            current = nil
        }
        for line in detail.splitASCII("\n", omittingEmpty: false) {
            if let (pid, _, statement) = Self.processStatementLine(line) {
                flush()
                current = (pid, statement.startIndex, line.endIndex)
                continue
            }
            if let rest = line.after("Process "), let pid = Int64(rest.asciiDigits),
               let wait = rest[rest.asciiDigits.endIndex...].after(" waits for ") {
                flush()
                var process: JSONObject = ["pid": .integer(pid)]
                if let on = wait.range(ofASCII: " on "), let blocked = wait.range(ofASCII: "; blocked by process ") {
                    process["lock_mode"] = .string(String(wait[..<on.lowerBound]))
                    let object = wait[on.upperBound..<blocked.lowerBound]
                    process["waits_for"] = .string(String(object))
                    process["lock_type"] = .string(Self.lockType(object))
                    if let blocker = Int64(wait[blocked.upperBound...].asciiDigits) {
                        process["blocked_by"] = .integer(blocker)
                    }
                }
                if processes[pid] == nil { order.append(pid) }
                for member in process { processes[pid, default: [:]][member.key] = member.value }
                continue
            }
            // A statement goes on over its lines.
            if current != nil { current!.end = line.endIndex }
        }
        flush()
        // The statements are redacted into the DETAIL and into each process's `statement`.
        for (pid, range) in statements {
            guard let index = order.firstIndex(of: pid) else { continue }
            spans.spans.append(.init(field: .detail, range: range, kind: .statement, target: .process(index)))
        }
        details["processes"] = .array(order.compactMap { processes[$0].map(JSONValue.object) })
        event.details = details
    }

    /// `Process 123: UPDATE …` (a word, a pid, a colon, the statement), in whatever language.
    static func processStatementLine(_ line: Substring) -> (Int64, Substring, Substring)? {
        let word = line.prefix(beforeASCII: " ")
        guard !word.isEmpty, word.endIndex < line.endIndex else { return nil }
        let rest = line[line.utf8.index(after: word.endIndex)...]
        let digits = rest.asciiDigits
        guard let pid = Int64(digits) else { return nil }
        let tail = rest[digits.endIndex...]
        guard let statement = tail.after(": ") ?? tail.after(" : ") else { return nil }
        return (pid, line[..<statement.startIndex], statement)
    }
}
