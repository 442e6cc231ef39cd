import ArgumentParser

/// `postgres-agent logs …`: the log pipeline from the command line.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Parse or follow PostgreSQL server logs.",
        subcommands: [LogsParseCommand.self, LogsTailCommand.self]
    )
}
