import AgentSchema
import Foundation
import TestSupport
import Testing

/// The payload contract as the tests check it: `docs/schema/payload-v1.schema.json`, applied by
/// `Tools/validate-payloads.py` (Python's jsonschema, Draft 2020-12) to what the agent really produced.
enum PayloadSchema {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let schema = repository.appendingPathComponent("docs/schema/payload-v1.schema.json").path
    static let validator = repository.appendingPathComponent("Tests/IntegrationTests/Tools/validate-payloads.py").path

    /// Validates `documents` (JSON texts, one per payload or event) against the whole schema or one of
    /// its `$defs`. Returns the validator's exit status and its report (which never holds a payload).
    static func validate(_ documents: [String], definition: String? = nil) throws -> (status: Int32, report: String) {
        let scratch = try ScratchDirectory()
        let file = scratch.file("documents.jsonl")
        let lines = documents.map { $0.replacingOccurrences(of: "\n", with: " ") }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
        var arguments = ["/usr/bin/env", "python3", validator]
        if let definition { arguments += ["--definition", definition] }
        arguments += [schema, file]
        let result = try ChildProcess.run(arguments)
        return (result.status, result.stdout + result.stderr)
    }

    /// A payload as the spooler writes it (``StreamingJSONEncoder``), after checking that it is the same
    /// document as Foundation's `JSONEncoder` writes (which `collect` uses): every payload a test validates
    /// also checks the streaming encoder.
    static func json(_ payload: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let foundation = try encoder.encode(payload)
        let streamed = Data(try StreamingJSONEncoder.encode(payload))
        let expected = try JSONSerialization.jsonObject(with: foundation) as? NSDictionary
        let actual = try JSONSerialization.jsonObject(with: streamed) as? NSDictionary
        #expect(expected != nil && expected == actual,
                "the streaming encoder wrote another document than JSONEncoder")
        return String(decoding: streamed, as: UTF8.self)
    }

    /// Records an issue unless every document is valid and there was at least one.
    static func expectValid(_ documents: [String], definition: String? = nil, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(!documents.isEmpty, "no \(what) to validate", sourceLocation: sourceLocation)
        let (status, report) = try validate(documents, definition: definition)
        #expect(status == 0, "\(what): \(report)", sourceLocation: sourceLocation)
        #expect(report.contains("validated \(documents.count) payloads, 0 invalid"), "\(what): \(report)",
                sourceLocation: sourceLocation)
    }
}
