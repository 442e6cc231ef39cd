import Foundation

/// Talks to systemd's notification socket (`sd_notify(3)`) without libsystemd: one datagram per
/// message to the `AF_UNIX` socket named by `NOTIFY_SOCKET` (a path, or `@name` for the abstract
/// namespace). Without `NOTIFY_SOCKET` (not started by systemd with `Type=notify`) it does nothing.
package struct SystemdNotifier: Sendable {
    /// The socket's address, or nil when there is none.
    package let socketPath: String?
    /// The watchdog period from `WATCHDOG_USEC`, when systemd set one for this process.
    package let watchdogInterval: Duration?

    package init(environment: [String: String]) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        // WATCHDOG_PID, when set, must be us.
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if forUs, let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 {
            watchdogInterval = .microseconds(microseconds)
        } else {
            watchdogInterval = nil
        }
    }

    /// Sends `READY=1`, `WATCHDOG=1`, `STATUS=…`, `STOPPING=1` or several of them, newline-separated.
    /// Returns false when the datagram could not be sent (no socket is not an error: true). Never
    /// blocks: a receiver that stopped reading (its queue holds about ten datagrams) costs a message, not
    /// the agent's shutdown.
    @discardableResult
    package func notify(_ message: String) -> Bool {
        guard let socketPath else { return true }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 } // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT), socketAddress, length) }
            }
        }
        return sent == bytes.count
    }
}
