import AgentSchema
import Delivery
import Foundation
import TestSupport
import Testing

/// `postgres-agent spool status --dead-letters` and `spool requeue`, as an operator runs them.
@Suite struct SpoolCommandTests {
    @Test func deadLettersAreListedWithTheirReasonAndRequeuedByIDOrAll() async throws {
        let scratch = try ScratchDirectory()
        let state = scratch.file("state")
        let config = scratch.file("agent.ini")
        try "[agent]\nstate_dir = \(state)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let spool = try Spool(path: SpoolLocation.path(stateDirectory: state), limits: .init(maxBytes: 10 << 20))
        for index in 0..<3 {
            try await spool.append(kind: .logs, instance: "main", batchID: "batch-\(index)", json: Array("{\"n\":\(index)}".utf8))
        }
        for _ in 0..<2 {
            let head = try #require(try await spool.oldest())
            try await spool.moveToDeadLetters(id: head.id, status: 400, reason: "invalid_payload: the body is not a schema-1 payload")
        }
        let binary = try ReferenceListener.binary
        let environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"]

        let listed = try ChildProcess.run([binary, "spool", "status", "--config", config, "--dead-letters"], environment: environment)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("dead letters:   2 (0 evicted"))
        #expect(listed.stdout.contains("batch-0  logs  main"))
        #expect(listed.stdout.contains("HTTP 400  invalid_payload: the body is not a schema-1 payload"))
        let json = try ChildProcess.run([binary, "spool", "status", "--config", config, "--json", "--dead-letters"], environment: environment)
        let lines = json.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let letters = try #require(try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [[String: Any]])
        #expect(letters.map { $0["batch_id"] as? String } == ["batch-0", "batch-1"])
        #expect(letters.first?["status"] as? Int == 400)

        let neither = try ChildProcess.run([binary, "spool", "requeue", "--config", config], environment: environment)
        #expect(neither.status == 64)
        let one = try ChildProcess.run([binary, "spool", "requeue", "--config", config, "batch-1", "no-such-batch"], environment: environment)
        #expect(one.status == 1, "an id that is not a dead letter is an error")
        #expect(one.stdout.contains("requeued 1 dead letter(s)"))
        #expect(one.stderr.contains("not dead letters: no-such-batch"))
        #expect(try await spool.batchIDs() == ["batch-1", "batch-2"], "back in its original place")
        let all = try ChildProcess.run([binary, "spool", "requeue", "--config", config, "--all"], environment: environment)
        #expect(all.status == 0)
        #expect(try await spool.batchIDs() == ["batch-0", "batch-1", "batch-2"])
        #expect(try await spool.status().deadLetters == 0)
    }
}
