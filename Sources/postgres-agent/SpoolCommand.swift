import ArgumentParser

/// `postgres-agent spool …`: the on-disk queue.
struct SpoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool",
        abstract: "Inspect the on-disk spool of payloads waiting for the listener.",
        subcommands: [SpoolStatusCommand.self, SpoolSendCommand.self, SpoolRequeueCommand.self]
    )
}
