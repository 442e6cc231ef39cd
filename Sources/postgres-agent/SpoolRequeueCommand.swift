import AgentConfiguration
import AgentDaemon
import ArgumentParser
import Delivery
import Foundation

/// `postgres-agent spool requeue [--config FILE] (--all | BATCH_ID…)`: puts dead letters back in the
/// queue, in their original order, once what made the listener refuse them is fixed. Safe beside a
/// running daemon: the spool is one SQLite file, and its transmitter takes them at its next send.
struct SpoolRequeueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requeue",
        abstract: "Put dead letters back in the queue (all of them, or the batch ids given)."
    )

    @Option(help: "The configuration file (default: none; the environment still applies).")
    var config: String?

    @Flag(help: "Requeue every dead letter.")
    var all = false

    @Argument(help: "The batch ids to requeue (see `spool status --dead-letters`).")
    var batchIDs: [String] = []

    func validate() throws {
        if all == !batchIDs.isEmpty {
            throw ValidationError("give --all or one or more batch ids, not both")
        }
    }

    func run() async throws {
        let environment = AgentEnvironment.current()
        let configuration = try environment.loadConfigurationOrExit(path: config)
        let path = SpoolLocation.path(stateDirectory: configuration.agent.stateDirectory)
        guard FileManager.default.fileExists(atPath: path) else {
            print("no spool at \(path): nothing to requeue")
            return
        }
        let requeued: [String]
        do {
            let spool = try Spool(path: path, limits: .init(maxBytes: configuration.spool.maxSizeBytes))
            requeued = try await spool.requeueDeadLetters(batchIDs: all ? nil : batchIDs)
        } catch {
            FileHandle.standardError.write(Data("postgres-agent: \(error)\n".utf8))
            throw ExitCode(74)
        }
        print("requeued \(requeued.count) dead letter(s)")
        let missing = all ? [] : batchIDs.filter { !requeued.contains($0) }
        if !missing.isEmpty {
            FileHandle.standardError.write(Data("postgres-agent: not dead letters: \(missing.joined(separator: ", "))\n".utf8))
            throw ExitCode(1)
        }
    }
}
