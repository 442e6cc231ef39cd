@testable import Collectors
import Testing

@Suite struct StatementColumnsTests {
    @Test func readTimeColumnsFollowTheExtensionVersion() throws {
        let v110 = try #require(StatementColumns(extensionVersion: "1.10"))
        #expect(v110.selectList.contains("s.blk_read_time::float8"))
        #expect(v110.hasInfoView)
        let v111 = try #require(StatementColumns(extensionVersion: "1.11"))
        #expect(v111.selectList.contains("s.shared_blk_read_time::float8 AS blk_read_time"))
        let v18 = try #require(StatementColumns(extensionVersion: "1.8"))
        #expect(v18.isSupported && !v18.hasInfoView)
        #expect(v18.selectList.contains("true AS toplevel"))
        #expect(StatementColumns(extensionVersion: "1.7")?.isSupported == false)
        #expect(StatementColumns(extensionVersion: "x") == nil)
    }
}
