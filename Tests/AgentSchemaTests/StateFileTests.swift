@testable import AgentSchema
import Foundation
import TestSupport
import Testing

/// The state files on real files: a damaged one is moved aside and said, never silently dropped.
@Suite struct StateFileTests {
    @Test func aFileThatDoesNotDecodeIsMovedAsideAndNamed() throws {
        let scratch = try ScratchDirectory()
        let file = StateFile<[String: Int]>(directory: scratch.path, name: "state.json")
        try file.save(["a": 1])
        #expect(file.loadSettingAside(now: 0).value == ["a": 1])
        try Data("{\"a\": tru".utf8).write(to: URL(fileURLWithPath: file.path))
        let loaded = file.loadSettingAside(now: 1_800_000_000)
        #expect(loaded.value == nil)
        #expect(loaded.setAside == file.path + ".corrupt-1800000000")
        #expect(FileManager.default.contents(atPath: file.path + ".corrupt-1800000000") == Data("{\"a\": tru".utf8))
        #expect(!FileManager.default.fileExists(atPath: file.path))
        // Nothing there: nothing to say.
        #expect(file.loadSettingAside(now: 1).setAside == nil)
    }
}
