import AgentConfiguration
import AgentDaemon
import ArgumentParser
import Delivery
import Foundation

/// `postgres-agent spool status [--config FILE] [--json] [--dead-letters]`: depth, bytes, oldest age,
/// evicted and refused counts and dead letters of the spool in `state_dir`.
struct SpoolStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the spool's depth, size, oldest payload's age, evictions and dead letters."
    )

    @Option(help: "The configuration file (default: none; the environment still applies).")
    var config: String?

    @Flag(help: "Print the figures as one JSON object.")
    var json = false

    @Flag(name: .customLong("dead-letters"), help: "Also list each dead letter: batch id, kind, status and the listener's reason.")
    var listDeadLetters = false

    func run() async throws {
        let environment = AgentEnvironment.current()
        let configuration = try environment.loadConfigurationOrExit(path: config)
        let path = SpoolLocation.path(stateDirectory: configuration.agent.stateDirectory)
        guard FileManager.default.fileExists(atPath: path) else {
            print(json ? #"{"depth":0,"exists":false}"# : "no spool at \(path): nothing has been spooled yet")
            return
        }
        let status: SpoolStatus
        let letters: [DeadLetter]
        do {
            let spool = try Spool(path: path, limits: .init(maxBytes: configuration.spool.maxSizeBytes))
            status = try await spool.status()
            letters = listDeadLetters ? try await spool.deadLetters() : []
        } catch {
            FileHandle.standardError.write(Data("postgres-agent: \(error)\n".utf8))
            throw ExitCode(74)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
            if listDeadLetters { print(String(decoding: try encoder.encode(letters), as: UTF8.self)) }
            return
        }
        let age = status.oldestCreatedAt.map { Date().timeIntervalSince1970 - $0 }
        print("spool:          \(path)")
        print("depth:          \(status.depth) payloads, \(status.payloadBytes) bytes compressed")
        print("file:           \(status.fileBytes) bytes on disk (cap \(configuration.spool.maxSizeBytes))")
        print("oldest:         \(age.map { String(format: "%.0f s ago", $0) } ?? "-")")
        print("evicted:        \(status.evictedBatches) payloads, \(status.evictedBytes) bytes")
        print("dead letters:   \(status.deadLetters) (\(status.evictedDeadLetters) evicted; `spool requeue` puts them back)")
        print("refused:        \(status.refusedBatches) payloads that could not fit the cap or the free-space floor")
        for letter in letters {
            print("  \(letter.batchID)  \(letter.kind)  \(letter.instance)  \(letter.size) bytes  HTTP \(letter.status)  \(letter.reason)")
        }
    }
}
