import Foundation

/// A temporary directory removed when the test ends.
package final class ScratchDirectory: Sendable {
    /// The directory's absolute path.
    package let path: String

    package init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("scratch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` inside the directory.
    package func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}
