package import Delivery
package import Logging
import ServiceLifecycle

/// The agent's side of `Type=notify`: `READY=1` once the parts are started, `WATCHDOG=1` every half
/// `WatchdogSec` while no live loop is stalled (``Heartbeats``), `STATUS=` with a one-line state, and
/// `STOPPING=1` at shutdown. Without `NOTIFY_SOCKET` it only logs
/// the stalled loops.
package struct SystemdWatchdog: Service {
    package let notifier: SystemdNotifier
    package let heartbeats: Heartbeats
    package let spool: Spool
    package let transmitter: @Sendable () -> TransmitterStatus?
    /// Optional parts that are down.
    package var problems = PartProblems()
    package let instances: Int
    /// The clock of the pings.
    package let clock: DaemonClock
    package let logger: Logger

    package func run() async throws {
        notifier.notify("READY=1\nSTATUS=\(await statusLine(stalled: []))")
        let period = notifier.watchdogInterval.map { $0 / 2 } ?? .seconds(10)
        var reportedStall = false
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { [clock] in try await clock.sleep(for: min(period, .seconds(10))) }
            if Task.isShuttingDownGracefully { break }
            let stalled = heartbeats.stalled()
            if stalled.isEmpty {
                notifier.notify("WATCHDOG=1\nSTATUS=\(await statusLine(stalled: []))")
                reportedStall = false
            } else {
                // Not feeding the watchdog: systemd restarts the agent after WatchdogSec.
                if !reportedStall {
                    logger.critical("a live loop stopped making progress; the watchdog is no longer fed",
                                    metadata: ["stalled": "\(stalled.joined(separator: ","))"])
                    reportedStall = true
                }
                notifier.notify("STATUS=\(await statusLine(stalled: stalled))")
            }
        }
        notifier.notify("STOPPING=1\nSTATUS=stopping: finishing the log batch and draining the spool")
    }

    private func statusLine(stalled: [String]) async -> String {
        var parts = ["\(instances) server(s)"]
        if let status = try? await spool.status() { parts.append("spool \(status.depth) payload(s)") }
        if let sender = transmitter() {
            parts.append("sent \(sender.sent)")
            if sender.authenticationRejected { parts.append("API KEY REJECTED") }
            if let status = sender.misdirectedStatus { parts.append("LISTENER URL ANSWERS \(status): sending paused") }
            if sender.breaker != .closed { parts.append("listener unreachable (breaker \(sender.breaker.rawValue))") }
        }
        for (part, problem) in problems.current { parts.append("\(part.uppercased()) DOWN: \(problem)") }
        if !stalled.isEmpty { parts.append("STALLED: \(stalled.joined(separator: ","))") }
        return parts.joined(separator: ", ")
    }
}

/// Printed by ServiceLifecycle: the name only, never settings that may hold secrets.
extension SystemdWatchdog: CustomStringConvertible {
    package var description: String { "systemd notifier" }
}
