import AgentConfiguration
import Collectors
import Foundation
import Logging
import PostgresNIO

/// Issue 2's benchmark: the agent's snapshot cycle against the design research's naive queries, on a
/// loaded server, measured through a byte-counting relay. Driven by `Benchmarks/run-snapshot-benchmark.sh`.
@main
struct SnapshotBenchmark {
    static func main() async {
        do {
            let options = try BenchmarkOptions.parse(Array(CommandLine.arguments.dropFirst()))
            switch options.mode {
            case .table:
                let ours = try ModeResult.read(from: options.oursFile!)
                let naive = try ModeResult.read(from: options.naiveFile!)
                print(ResultTable(ours: ours, naive: naive).render(), terminator: "")
            case .ours, .naive:
                let result = try await measure(options)
                try result.write(to: options.output!)
                Console.note("\(options.mode.rawValue): wall median \(result.wallMs.median) ms, "
                    + "received mean \(Int(result.bytesReceived.mean)) B, RSS \(result.memoryAfterCycles.rssKB) kB, "
                    + "last cycle \(result.lastCycle.sorted { $0.key < $1.key }), errors \(result.errors.count)")
            }
        } catch {
            Console.note("error: \(error)")
            exit(1)
        }
    }

    static func measure(_ options: BenchmarkOptions) async throws -> ModeResult {
        let logger = Logger(label: "snapshot-benchmark", factory: { _ in SwiftLogNoOpLogHandler() })
        let applicationName = options.mode == .ours ? "bitville-monitor" : "naive-monitor"
        let settings = try ConnectionSettings.resolve(
            conninfo: "host=\(options.host) port=\(options.port) user=\(options.user) dbname=\(options.database) "
                + "sslmode=disable connect_timeout=5",
            environment: ProcessInfo.processInfo.environment.filter { $0.key == "PGPASSWORD" },
            osUser: options.user, fallbackApplicationName: applicationName,
            readFile: { try String(contentsOfFile: $0, encoding: .utf8) })
        let clientOptions = PostgresClientFactory.Options()
        let client = PostgresClient(
            configuration: try PostgresClientFactory.configuration(settings, options: clientOptions),
            backgroundLogger: logger)
        let runner = CycleRunner(
            options: options,
            relay: RelayCounters(port: options.relayControlPort),
            probe: ServerTimeProbe(psql: options.psql, port: options.pgPort, superuser: options.superuser,
                                   database: options.database, role: options.user))

        return try await withThrowingTaskGroup(of: ModeResult?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            switch options.mode {
            case .ours:
                let probe = try ConnectionProbe(settings, options: clientOptions)
                return try await runner.measure(try OursCycle(client: client, probe: probe, logger: logger), notes: [
                    "ours: SnapshotCollector.collect (server, activity, statements, locks, database, host), "
                        + "PostgresClientFactory pool (≤ 2 connections), ConnectionProbe, default CollectorSettings.",
                ])
            default:
                return try await runner.measure(NaiveCycle(client: client, logger: logger), notes: [
                    "naive: the design research's three queries in sequence with postgres-nio (binary format; "
                        + "psycopg would use text format), every column decoded; no host metrics.",
                ])
            }
        }
    }
}
