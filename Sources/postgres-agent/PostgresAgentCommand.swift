import AgentSchema
import ArgumentParser

/// `postgres-agent`: the PostgreSQL monitoring agent's command line (docs/cli.md).
@main
struct PostgresAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres-agent",
        abstract: "Monitors a PostgreSQL server and its host, and ships what it sees to a central listener.",
        version: AgentVersion.current,
        subcommands: [RunCommand.self, CheckCommand.self, CollectCommand.self, LogsCommand.self, SpoolCommand.self, ListenerCommand.self]
    )
}
