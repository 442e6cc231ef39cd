import Delivery
import Synchronization

/// The transmitter now running (a reload replaces it), so the metrics and the systemd status can read
/// its counters.
final class TransmitterSlot: Sendable {
    private let current = Mutex<Transmitter<ContinuousClock>?>(nil)

    func set(_ transmitter: Transmitter<ContinuousClock>?) {
        current.withLock { $0 = transmitter }
    }

    var status: TransmitterStatus? { current.withLock { $0?.status } }
}
