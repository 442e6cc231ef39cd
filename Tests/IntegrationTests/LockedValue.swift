import Foundation

/// A value that polling closures and background tasks set and the test reads (the last value a wait
/// saw, a count of samples): the closures are escaping and `Sendable`, so the value lives in a class.
final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value { lock.withLock { stored } }

    /// Changes the value in place under the lock.
    func update(_ change: (inout Value) -> Void) { lock.withLock { change(&stored) } }
}
