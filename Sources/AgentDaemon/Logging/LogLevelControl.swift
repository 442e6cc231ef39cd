package import Logging
import Synchronization

/// The agent's log level, shared by every logger and changed by a configuration reload (SIGHUP).
package final class LogLevelControl: Sendable {
    private let level: Mutex<Logger.Level>

    package init(_ level: Logger.Level) {
        self.level = Mutex(level)
    }

    /// The level now in force.
    package var current: Logger.Level {
        get { level.withLock { $0 } }
        set { level.withLock { $0 = newValue } }
    }
}
