// Spool throughput (issue 4's benchmark): appends COUNT payloads of SIZE bytes of JSON to a fresh spool,
// then takes them out again the way the transmitter does (oldest, acknowledge), and prints one JSON line
// with the rates. With --cap-mb it instead fills a spool of that cap and times the appends that had to
// evict. The payload is a JSON document of log events with varying numbers, about as compressible as
// real payloads.
//
// With --fill-mb it only fills a spool with that many MiB of stored (compressed) schema-1 payloads, for
// the drain benchmark (run-drain-benchmark.sh), and prints their count and bytes.
//
// With --producers P (P > 1) it runs P concurrent producers that append COUNT payloads in all (each
// waits for its append to commit, as a log source does), then drains: the group-commit measurement.
//
// usage: SpoolBenchmark --dir DIR --size BYTES --count N [--durability full|normal] [--producers P] [--cap-mb MB]
//        SpoolBenchmark --dir DIR --size BYTES --fill-mb MB
import AgentSchema
import Delivery
import Foundation

@main
struct SpoolBenchmark {
    static func main() async throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        func option(_ name: String) -> String? {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
            defer { arguments.removeSubrange(index...(index + 1)) }
            return arguments[index + 1]
        }
        let directory = option("--dir") ?? "/tmp/spool-bench"
        let size = Int(option("--size") ?? "20000") ?? 20_000
        let count = Int(option("--count") ?? "1000") ?? 1_000
        let durability = Spool.Durability(rawValue: option("--durability") ?? "full") ?? .full
        let capMB = option("--cap-mb").flatMap(Int.init)
        let fillMB = option("--fill-mb").flatMap(Int.init)
        let producers = Int(option("--producers") ?? "1") ?? 1
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/spool.sqlite"
        let payloads = (0..<64).map { payload(size: size, seed: $0) }

        if let fillMB {
            let spool = try Spool(path: path, limits: .init(maxBytes: (fillMB + fillMB / 4 + 8) << 20), durability: .normal)
            var index = 0
            var jsonBytes = 0
            let start = ContinuousClock.now
            // The status is a scan: look at it every 50 appends.
            while true {
                if index % 50 == 0, try await spool.status().payloadBytes >= fillMB << 20 { break }
                let batchID = "drain-\(index)"
                var json = Array(#"{"schema_version":1,"kind":"logs","batch_id":"\#(batchID)","project":"bench","agent":{"instance":"bench"},"#.utf8)
                json += payloads[index % payloads.count].dropFirst() // the events document without its "{"
                try await spool.append(kind: .logs, instance: "bench", batchID: batchID, json: json)
                jsonBytes += json.count
                index += 1
            }
            let status = try await spool.status()
            report(["mode": "fill", "payload_bytes": size, "payloads": status.depth, "stored_bytes": status.payloadBytes,
                    "json_bytes": jsonBytes, "fill_seconds": seconds(start.duration(to: .now)),
                    "evicted_batches": status.evictedBatches])
            return
        }

        if let capMB {
            let spool = try Spool(path: path, limits: .init(maxBytes: capMB << 20), durability: durability)
            var evicting: [Double] = []
            var plain: [Double] = []
            var index = 0
            // Fill to the cap, then go on until 20 appends have evicted.
            while evicting.count < 20 {
                let before = try await spool.evictedBatches()
                let start = ContinuousClock.now
                try await spool.append(kind: .snapshot, instance: "bench", batchID: "b\(index)", json: payloads[index % payloads.count])
                let milliseconds = seconds(start.duration(to: .now)) * 1000
                if try await spool.evictedBatches() > before { evicting.append(milliseconds) } else { plain.append(milliseconds) }
                index += 1
            }
            let status = try await spool.status()
            let database = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            report([
                "mode": "cap", "cap_mb": capMB, "payload_bytes": size, "appends": index,
                "evicting_append_ms_median": median(evicting), "evicting_append_ms_max": evicting.max() ?? 0,
                "plain_append_ms_median": median(plain), "evicted_batches": status.evictedBatches,
                "depth": status.depth, "database_bytes": database, "file_bytes": status.fileBytes,
                "integrity": try await spool.integrityCheck(),
            ])
            return
        }

        let spool = try Spool(path: path, limits: .init(maxBytes: 1 << 30), durability: durability)
        let appendStart = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<producers {
                group.addTask {
                    for index in stride(from: producer, to: count, by: producers) {
                        try await spool.append(kind: .snapshot, instance: "bench", batchID: "b\(index)",
                                               json: payloads[index % payloads.count])
                    }
                }
            }
            try await group.waitForAll()
        }
        let appendSeconds = seconds(appendStart.duration(to: .now))
        let compressed = try await spool.status().payloadBytes
        let ackStart = ContinuousClock.now
        var taken = 0
        while let next = try await spool.oldest() {
            try await spool.acknowledge(id: next.id)
            taken += 1
        }
        let ackSeconds = seconds(ackStart.duration(to: .now))
        report([
            "mode": "rate", "durability": durability.rawValue, "payload_bytes": size, "count": count, "producers": producers,
            "compressed_bytes_per_payload": compressed / count,
            "append_per_s": Double(count) / appendSeconds, "take_ack_per_s": Double(taken) / ackSeconds,
            "append_ack_per_s": Double(count) / (appendSeconds + ackSeconds),
        ])
    }

    static func payload(size: Int, seed: Int) -> [UInt8] {
        var text = "{\"kind\":\"logs\",\"events\":["
        var index = 0
        while text.utf8.count < size {
            text += "{\"pid\":\(4000 + (seed * 7919 + index * 104729) % 5000),\"severity\":\"LOG\",\"event\":\"slow_query\","
                + "\"duration_ms\":\(Double((seed + index) * 37 % 10000) / 100),\"message\":\"duration: \((seed + index) % 997) ms\","
                + "\"statement\":\"SELECT abalance FROM pgbench_accounts WHERE aid = ?\",\"timestamp\":\"2026-11-27T10:00:\((index % 60)).\(index % 1000)Z\"},"
            index += 1
        }
        text += "{}]}"
        return Array(text.utf8)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        return values.sorted()[values.count / 2]
    }

    static func report(_ values: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: values, options: [.sortedKeys])) ?? Data()
        print(String(decoding: data, as: UTF8.self))
    }
}
