import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The host's file system: `stat(2)`, directory listings, `glob(3)`, `open(2)` and `pread(2)`.
package struct PosixLogFileSystem: LogFileSystem {
    package init() {}

    package func status(of path: String) -> FileStatus? { FileStatus(path: path) }

    package func names(in directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }

    package func glob(_ pattern: String) -> [String] { expandGlob(pattern) }

    package func text(of path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    package func open(_ path: String) -> (any LogFile)? { LogFileHandle(path: path) }
}

/// `glob(3)`, outside the type so that its name does not hide the C function.
private func expandGlob(_ pattern: String) -> [String] {
    var result = glob_t()
    defer { globfree(&result) }
    guard glob(pattern, 0, nil, &result) == 0 else { return [] }
    return (0..<Int(result.gl_pathc)).compactMap { index in
        result.gl_pathv[index].flatMap { String(validatingCString: $0) }
    }
}
