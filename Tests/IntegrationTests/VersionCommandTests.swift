import Foundation
import TestSupport
import Testing

/// `postgres-agent --version`: the version and the commit the binary was built from.
@Suite struct VersionCommandTests {
    /// scripts/test.sh stamps the commit before it builds (scripts/stamp-commit.sh): the binary under test
    /// names this work tree's HEAD.
    @Test func versionNamesTheReleaseAndTheCommit() throws {
        let result = try ChildProcess.run([try ReferenceListener.binary, "--version"])
        #expect(result.status == 0)
        let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let match = try #require(line.wholeMatch(of: /(\d+\.\d+\.\d+) \(commit ([0-9a-f]{12})(-dirty)?\)/), "\(line)")
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let head = try ChildProcess.run(["/usr/bin/git", "-C", repository, "rev-parse", "HEAD"])
        try #require(head.status == 0, "the suite runs from a git clone")
        #expect(head.stdout.hasPrefix(String(match.output.2)), "\(line) is not HEAD \(head.stdout)")
    }
}
