import Foundation

/// A small JSON document in the state directory, replaced atomically: written to a temporary file,
/// flushed to disk, renamed over the old one, and the directory flushed, so a crash leaves either the old
/// or the new version, never a torn one.
package struct StateFile<Value: Codable & Sendable>: Sendable {
    /// Why a state file could not be written; it names the path, never the content.
    package struct WriteError: Error, Sendable, CustomStringConvertible {
        /// The file that could not be written.
        package var path: String
        /// The `errno` of the failing call.
        package var errno: Int32
        package var description: String { "cannot write state file \(path) (errno \(errno))" }
    }

    /// Full path of the file.
    package let path: String

    package init(directory: String, name: String) {
        self.path = (directory as NSString).appendingPathComponent(name)
    }

    /// The stored value; nil when there is none or it does not decode (an old or damaged file).
    package func load() -> Value? {
        loadSettingAside(now: Date().timeIntervalSince1970).value
    }

    /// The stored value, and where a file that does not decode was moved: it is renamed to
    /// `<name>.corrupt-<epoch seconds>`, kept for inspection, so the next save starts afresh and the
    /// caller can say so (a damaged file must neither stop the agent nor vanish unnoticed).
    package func loadSettingAside(now: Double) -> (value: Value?, setAside: String?) {
        guard let data = FileManager.default.contents(atPath: path) else { return (nil, nil) }
        if let value = try? JSONDecoder().decode(Value.self, from: data) { return (value, nil) }
        let aside = "\(path).corrupt-\(Int(now))"
        return (nil, rename(path, aside) == 0 ? aside : nil)
    }

    /// Replaces the stored value.
    package func save(_ value: Value) throws {
        let data = try JSONEncoder().encode(value)
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o750])
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw WriteError(path: temporary, errno: errno) }
        var ok = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            let failure = errno
            unlink(temporary)
            throw WriteError(path: path, errno: failure)
        }
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 { fsync(dirFD); close(dirFD) }
    }
}
