/// The command line of the benchmark binary (`--key value` pairs; no parser library on purpose, so the
/// measured process carries nothing the agent would not).
///
/// ```
/// SnapshotBenchmark --mode ours|naive --port RELAY_PORT --relay-control PORT --user ROLE
///                   --psql PATH --pg-port DIRECT_PORT [--cycles 30] [--warmup 5] [--interval-ms 2000]
///                   --output FILE.json
/// SnapshotBenchmark --mode table --ours FILE.json --naive FILE.json
/// ```
/// The password comes from `PGPASSWORD`, as libpq would take it.
struct BenchmarkOptions: Sendable {
    enum Mode: String, Sendable {
        case ours, naive, table
    }

    var mode: Mode
    /// Where the monitoring connections go: the byte-counting relay.
    var host = "127.0.0.1"
    var port = 0
    var database = "app"
    var user = ""
    /// The relay's control port (asked for its byte counters).
    var relayControlPort = 0
    /// psql and the server's own port, for the superuser's reads of pg_stat_statements (not via the relay).
    var psql = "psql"
    var pgPort = 0
    var superuser = "postgres"
    var cycles = 30
    var warmup = 5
    var intervalMs = 2000
    var output: String?
    var oursFile: String?
    var naiveFile: String?

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ arguments: [String]) throws -> BenchmarkOptions {
        var values: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let key = arguments[index]
            guard key.hasPrefix("--"), index + 1 < arguments.count else {
                throw UsageError(description: "expected --key value, got \(key)")
            }
            values[String(key.dropFirst(2))] = arguments[index + 1]
            index += 2
        }
        guard let modeName = values.removeValue(forKey: "mode"), let mode = Mode(rawValue: modeName) else {
            throw UsageError(description: "--mode ours|naive|table is required")
        }
        var options = BenchmarkOptions(mode: mode)
        func int(_ key: String) throws -> Int? {
            guard let text = values.removeValue(forKey: key) else { return nil }
            guard let value = Int(text) else { throw UsageError(description: "--\(key) wants a number") }
            return value
        }
        options.host = values.removeValue(forKey: "host") ?? options.host
        options.port = try int("port") ?? 0
        options.database = values.removeValue(forKey: "database") ?? options.database
        options.user = values.removeValue(forKey: "user") ?? ""
        options.relayControlPort = try int("relay-control") ?? 0
        options.psql = values.removeValue(forKey: "psql") ?? options.psql
        options.pgPort = try int("pg-port") ?? 0
        options.superuser = values.removeValue(forKey: "superuser") ?? options.superuser
        options.cycles = try int("cycles") ?? options.cycles
        options.warmup = try int("warmup") ?? options.warmup
        options.intervalMs = try int("interval-ms") ?? options.intervalMs
        options.output = values.removeValue(forKey: "output")
        options.oursFile = values.removeValue(forKey: "ours")
        options.naiveFile = values.removeValue(forKey: "naive")
        if let unknown = values.keys.sorted().first {
            throw UsageError(description: "unknown option --\(unknown)")
        }
        switch mode {
        case .ours, .naive:
            guard options.port > 0, options.relayControlPort > 0, options.pgPort > 0, !options.user.isEmpty,
                  options.cycles >= 1, options.output != nil else {
                throw UsageError(description: "--port, --relay-control, --pg-port, --user, --output are required; --cycles ≥ 1")
            }
        case .table:
            guard options.oursFile != nil, options.naiveFile != nil else {
                throw UsageError(description: "--ours and --naive result files are required")
            }
        }
        return options
    }
}
