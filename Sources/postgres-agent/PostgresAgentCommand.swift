import AgentSchema
import ArgumentParser
import NIOCore

/// `postgres-agent`: the PostgreSQL monitoring agent's command line (docs/cli.md).
@main
struct PostgresAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres-agent",
        abstract: "Monitors a PostgreSQL server and its host, and ships what it sees to a central listener.",
        version: AgentVersion.description,
        subcommands: [RunCommand.self, CheckCommand.self, CollectCommand.self, LogsCommand.self, SpoolCommand.self, ListenerCommand.self]
    )

    /// Threads the event loops and the blocking pool may start, whatever the host's core count.
    ///
    /// SwiftNIO sizes its shared event-loop group and blocking pool to the core count by default: 64
    /// threads each on a 64-core host, past the unit's `TasksMax`, for an agent whose I/O is a few
    /// sockets. Two of each serve it (BENCHMARKS.md measures the daemon's threads).
    static let eventLoops = 2
    static let blockingThreads = 2

    /// Sizes the shared NIO thread pools before anything uses them (the HTTP client, the PostgreSQL
    /// client and the HTTP servers all take the shared group), then runs the command as
    /// ArgumentParser's own `main()` would.
    static func main() async {
        NIOSingletons.groupLoopCountSuggestion = eventLoops
        NIOSingletons.blockingPoolThreadCountSuggestion = blockingThreads
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
