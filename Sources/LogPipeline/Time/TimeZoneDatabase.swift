#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The system's tz database: a directory of TZif files named by zone (`/usr/share/zoneinfo`, Debian's
/// `tzdata`), where ``TimeZoneRules`` come from. The I/O shell around the pure TZif reader.
package struct TimeZoneDatabase: Sendable {
    /// Where the files are.
    package var directory: String

    /// The database in `directory`; by default `$TZDIR` when set, else `/usr/share/zoneinfo`.
    package init(directory: String? = nil) {
        if let directory {
            self.directory = directory
        } else if let value = getenv("TZDIR"), let text = String(validatingCString: value), !text.isEmpty {
            self.directory = text
        } else {
            self.directory = "/usr/share/zoneinfo"
        }
    }

    /// The rules of the zone `name` (`Europe/Berlin`, `Asia/Kolkata`, `UTC`), as `log_timezone` names it.
    ///
    /// - Throws: ``TimeZoneRules/LoadError``: the name is no zone name, the database has no such file, or
    ///   the file is damaged.
    package func rules(named name: String) throws(TimeZoneRules.LoadError) -> TimeZoneRules {
        guard Self.isZoneName(name) else { throw TimeZoneRules.LoadError(code: .invalidName, name: name) }
        guard let bytes = Self.readFile(directory + "/" + name) else {
            throw TimeZoneRules.LoadError(code: .notFound, name: name)
        }
        return try TimeZoneRules(name: name, tzif: bytes)
    }

    /// The host's zone, which a syslog daemon writes RFC 3164 times in: `$TZ` when it names a zone
    /// (`Europe/Berlin`, `:Europe/Berlin`), else `/etc/localtime`; nil when neither can be read (the
    /// times are then read as UTC).
    package func local(localtime: String = "/etc/localtime") -> TimeZoneRules? {
        if let value = getenv("TZ"), var name = String(validatingCString: value), !name.isEmpty {
            if name.hasPrefix(":") { name.removeFirst() }
            if let rules = try? rules(named: name) { return rules }
        }
        guard let bytes = Self.readFile(localtime) else { return nil }
        return try? TimeZoneRules(name: "localtime", tzif: bytes)
    }

    /// Zone names are relative paths of letters, digits, `_`, `-`, `+` and `/`, without `..`.
    static func isZoneName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255, !name.hasPrefix("/") else { return false }
        let allowed = name.utf8.allSatisfy { byte in
            byte &- UInt8(ascii: "a") < 26 || byte &- UInt8(ascii: "A") < 26 || byte &- UInt8(ascii: "0") < 10
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: "/")
        }
        return allowed && !name.split(separator: "/").contains { $0.isEmpty || $0 == ".." || $0 == "." }
    }

    /// The bytes of a small regular file, or nil.
    private static func readFile(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while bytes.count < 1 << 20 {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return count == 0 ? bytes : nil }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return nil
    }
}
