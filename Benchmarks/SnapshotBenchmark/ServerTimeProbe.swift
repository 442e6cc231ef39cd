import Foundation

/// Reads, as the superuser, what pg_stat_statements has recorded for one role: the server-side cost of
/// the monitoring queries that role ran.
///
/// It runs `psql` in a child process over the server's own port (not through the relay), so neither
/// its bytes nor its CPU nor its memory count as the measured process's.
struct ServerTimeProbe: Sendable {
    struct Reading: Codable, Sendable {
        var calls: Double
        var execMs: Double
        var planMs: Double
    }

    struct ProbeError: Error, CustomStringConvertible {
        var description: String
    }

    let psql: String
    let port: Int
    let superuser: String
    let database: String
    let role: String

    func read() throws -> Reading {
        let sql = """
            SELECT coalesce(sum(calls), 0), coalesce(sum(total_exec_time), 0), coalesce(sum(total_plan_time), 0)
            FROM pg_stat_statements WHERE userid = '\(role)'::regrole
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: psql)
        process.arguments = ["-X", "-A", "-t", "-q", "-F", " ", "-h", "127.0.0.1", "-p", "\(port)",
                             "-U", superuser, "-d", database, "-c", sql]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "PGPASSWORD")
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let fields = String(decoding: data, as: UTF8.self)
            .split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Double($0) }
        guard process.terminationStatus == 0, fields.count == 3 else {
            throw ProbeError(description: "psql could not read pg_stat_statements for \(role)")
        }
        return Reading(calls: fields[0], execMs: fields[1], planMs: fields[2])
    }
}
