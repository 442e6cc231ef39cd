import AgentConfiguration
import ArgumentParser
import Foundation

/// `--dsn`: one server given on the command line in place of the configured ones.
enum DSNOverride {
    /// Replaces the configured servers with the one `dsn` names (keeping the first instance's other
    /// settings). A DSN that does not parse exits 78; one that carries a password exits 64, because
    /// command lines are visible to every user.
    static func apply(_ dsn: String, to configuration: inout AgentConfiguration) throws {
        let keys: [String: String]
        do {
            keys = try ConnInfoParser.parse(dsn)
        } catch {
            FileHandle.standardError.write(Data("postgres-agent: bad --dsn: \(error)\n".utf8))
            throw ExitStatus.configuration
        }
        guard keys["password"] == nil else {
            let message = "postgres-agent: --dsn must not carry a password (command lines are visible to "
                + "every user); use PGPASSWORD, ~/.pgpass or password_file\n"
            FileHandle.standardError.write(Data(message.utf8))
            throw ExitStatus.usage
        }
        var single = configuration.postgres.first ?? AgentConfiguration.PostgresInstance()
        single.conninfo = Secret(dsn)
        configuration.postgres = [single]
    }
}
