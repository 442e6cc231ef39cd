import ArgumentParser

/// Exit codes of docs/cli.md: 0 ok, 1 check failed, 64 bad usage, 78 bad configuration.
enum ExitStatus {
    static let checkFailed = ExitCode(1)
    static let usage = ExitCode(64)
    static let configuration = ExitCode(78)
}
