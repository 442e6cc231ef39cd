package import Delivery
import Foundation

/// The self-metrics the daemon exposes (ISSUE 5, "Operators' view"), declared in one place.
package enum AgentMetrics {
    package static let families: [(String, MetricsRegistry.Kind, String)] = [
        ("pgagent_snapshot_cycles_total", .counter, "Snapshot cycles run, per server."),
        ("pgagent_snapshot_duration_seconds", .gauge, "Duration of the last snapshot cycle, per server."),
        ("pgagent_snapshot_late_total", .counter, "Snapshot ticks skipped because a cycle overran its interval."),
        ("pgagent_collector_errors_total", .counter, "Collector failures reported in payloads, per server and collector."),
        ("pgagent_spool_errors_total", .counter, "Payloads that could not be written to the spool."),
        ("pgagent_spool_depth", .gauge, "Payloads waiting in the spool."),
        ("pgagent_spool_bytes", .gauge, "Bytes of payloads (gzip) in the spool."),
        ("pgagent_spool_file_bytes", .gauge, "Bytes of the spool's files on disk (database and WAL)."),
        ("pgagent_spool_oldest_age_seconds", .gauge, "Age of the oldest spooled payload (0 when empty)."),
        ("pgagent_spool_evicted_batches_total", .counter, "Payloads evicted because of the spool's size cap."),
        ("pgagent_spool_evicted_bytes_total", .counter, "Bytes evicted because of the spool's size cap."),
        ("pgagent_spool_dead_letters", .gauge, "Payloads the listener refused for good (dead letters)."),
        ("pgagent_spool_evicted_dead_letters_total", .counter, "Dead letters evicted because of the spool's size cap."),
        ("pgagent_spool_corrupt_files_set_aside_total", .counter, "Damaged spool files moved aside at start (kept for inspection)."),
        ("pgagent_spool_refused_batches_total", .counter, "Payloads refused because they could not be made to fit the cap or the free-space floor."),
        ("pgagent_send_requests_total", .counter, "POSTs to the listener (current transmitter)."),
        ("pgagent_send_request_seconds_total", .counter, "Total duration of those POSTs."),
        ("pgagent_send_acknowledged_total", .counter, "Payloads the listener acknowledged."),
        ("pgagent_send_retries_total", .counter, "Failed sends that will be retried."),
        ("pgagent_send_dead_lettered_total", .counter, "Payloads moved to the dead letters."),
        ("pgagent_send_api_key_rejected", .gauge, "1 while the listener refuses the API key (401/403)."),
        ("pgagent_send_misdirected_status", .gauge, "The status of a \"wrong place\" answer (404, 405, …) while sending is paused for it; 0 otherwise."),
        ("pgagent_send_breaker_state", .gauge, "Circuit breaker: 0 closed, 1 half-open, 2 open."),
        ("pgagent_log_lines_total", .counter, "Log lines read, per server."),
        ("pgagent_log_entries_total", .counter, "Log entries parsed, per server."),
        ("pgagent_log_unparsed_total", .counter, "Log lines that matched no entry layout, per server."),
        ("pgagent_log_rotations_total", .counter, "Log rotations followed, per server."),
        ("pgagent_log_lag_bytes", .gauge, "Bytes the tailer is behind the end of the current log file."),
    ]

    /// A registry with every family declared, and the spool's figures refreshed at each scrape.
    package static func registry(spool: Spool) -> MetricsRegistry {
        let registry = MetricsRegistry()
        for (name, kind, help) in families { registry.declare(name, kind, help: help) }
        registry.onScrape { registry in
            guard let status = try? await spool.status() else { return }
            registry.set("pgagent_spool_depth", Double(status.depth))
            registry.set("pgagent_spool_bytes", Double(status.payloadBytes))
            registry.set("pgagent_spool_file_bytes", Double(status.fileBytes))
            registry.set("pgagent_spool_evicted_batches_total", Double(status.evictedBatches))
            registry.set("pgagent_spool_evicted_bytes_total", Double(status.evictedBytes))
            registry.set("pgagent_spool_dead_letters", Double(status.deadLetters))
            registry.set("pgagent_spool_evicted_dead_letters_total", Double(status.evictedDeadLetters))
            registry.set("pgagent_spool_refused_batches_total", Double(status.refusedBatches))
            registry.set("pgagent_spool_corrupt_files_set_aside_total", Double(status.corruptFilesSetAside))
            let age = status.oldestCreatedAt.map { max(0, Date.now.timeIntervalSince1970 - $0) } ?? 0
            registry.set("pgagent_spool_oldest_age_seconds", age)
        }
        return registry
    }

    /// The running transmitter's counters, at each scrape.
    package static func mirror(_ slot: TransmitterSlot, into registry: MetricsRegistry) {
        registry.onScrape { registry in
            guard let status = slot.status else { return }
            registry.set("pgagent_send_requests_total", Double(status.requests))
            registry.set("pgagent_send_request_seconds_total", status.requestSeconds)
            registry.set("pgagent_send_acknowledged_total", Double(status.sent))
            registry.set("pgagent_send_retries_total", Double(status.retries))
            registry.set("pgagent_send_dead_lettered_total", Double(status.deadLettered))
            registry.set("pgagent_send_api_key_rejected", status.authenticationRejected ? 1 : 0)
            registry.set("pgagent_send_misdirected_status", Double(status.misdirectedStatus ?? 0))
            registry.set("pgagent_send_breaker_state", status.breaker.gaugeValue)
        }
    }
}
