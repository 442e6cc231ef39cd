internal import Foundation

extension AgentConfiguration {
    /// Why a file could not be read, in words fit for an operator: `no such file`,
    /// `permission denied`, `is a directory`, `not valid UTF-8`.
    package struct FileReadError: Error, Sendable, CustomStringConvertible {
        /// The reason, without the file's contents.
        package var reason: String

        /// Creates an error with `reason`.
        package init(reason: String) {
            self.reason = reason
        }

        /// The reason.
        package var description: String { self.reason }
    }

    /// Reads a UTF-8 text file from the local filesystem: the `readFile` the executable passes to
    /// ``load(path:environment:readFile:)`` and to the connection resolver.
    ///
    /// - Throws: ``FileReadError`` with a short reason.
    package static func readFileFromDisk(_ path: String) throws(FileReadError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileReadError(reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw FileReadError(reason: "is a directory")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw FileReadError(reason: "permission denied")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileReadError(reason: "cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FileReadError(reason: "not valid UTF-8")
        }
        return text
    }

    /// A short reason for a failed `readFile`, for error messages.
    static func describeReadFailure(_ error: any Error) -> String {
        if let error = error as? FileReadError {
            return error.reason
        }
        return String(describing: error)
    }
}
