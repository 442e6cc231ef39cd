package import Delivery
import Synchronization

/// The transmitter now running (a reload replaces it), so the metrics and the systemd status can read
/// its counters.
package final class TransmitterSlot: Sendable {
    private let current = Mutex<Transmitter<DaemonClock>?>(nil)

    package func set(_ transmitter: Transmitter<DaemonClock>?) {
        current.withLock { $0 = transmitter }
    }

    package var status: TransmitterStatus? { current.withLock { $0?.status } }
}
