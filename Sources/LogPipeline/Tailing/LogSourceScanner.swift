package import AgentSchema
import Foundation

/// Lists the log files that `[logs] path` names, oldest first, and tells which one the server writes now.
///
/// - A file: that file; after a rotation also its rotated siblings in the same directory
///   (`postgresql.log.1`, `postgresql.log-20261127`, …), so that a file rotated away while the agent was
///   down is still found and finished.
/// - A directory: the regular, visible, uncompressed files in it. With `format = auto` and files of
///   several formats side by side (`log_destination = 'stderr,csvlog'`), only the most structured kind
///   is followed (`.json`, else `.csv`, else the rest), so no entry is read twice.
/// - A glob (`*`, `?` or `[` in the path): the files it matches, filtered the same way.
///
/// The server's current file comes from `current_logfiles` in the data directory when it is readable and
/// names a file of this source; otherwise it is the file modified last.
package struct LogSourceScanner: Sendable {
    /// A file of the source.
    package struct Candidate: Sendable, Equatable {
        package var path: String
        package var status: FileStatus
    }

    /// What kind of path was configured.
    package enum Kind: Sendable, Equatable {
        case file(String)
        case directory(String)
        case glob(String)
    }

    /// The configured path, classified.
    package let kind: LogSourceScanner.Kind
    /// The configured format; `.auto` picks per file.
    package let format: LogFormat
    /// `current_logfiles` of the data directory, when known.
    package let currentLogfilesPath: String?
    /// Where the files are listed, examined and opened (the host's, or one in memory in tests).
    package let fileSystem: any LogFileSystem

    private static let compressedSuffixes = [".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4"]

    package init(path: String, format: LogFormat, dataDirectory: String? = nil,
                 fileSystem: any LogFileSystem = PosixLogFileSystem()) {
        self.fileSystem = fileSystem
        if path.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) {
            self.kind = .glob(path)
        } else if fileSystem.status(of: path)?.isDirectory == true {
            self.kind = .directory(path)
        } else {
            self.kind = .file(path)
        }
        self.format = format
        self.currentLogfilesPath = dataDirectory.map { ($0 as NSString).appendingPathComponent("current_logfiles") }
    }

    /// The files of the source, oldest (by modification time, then name) first; with `includeRotated`,
    /// a single configured file brings its rotated siblings along.
    package func candidates(includeRotated: Bool = false) -> [Candidate] {
        // A rename between listing the names and reading their status would hide a file (its old name
        // already leads to the new file, its new name was not listed yet): list until two agree.
        var paths = listPaths(includeRotated: includeRotated)
        var result = status(of: paths)
        for _ in 0..<5 {
            let again = listPaths(includeRotated: includeRotated)
            if again == paths { break }
            paths = again
            result = status(of: paths)
        }
        return result
    }

    /// Oldest first. Modification times are coarse (a few milliseconds): on a tie the configured file,
    /// which is always the one being written, goes after its rotated siblings.
    private func status(of paths: [String]) -> [Candidate] {
        var result: [Candidate] = []
        for path in paths {
            guard let status = fileSystem.status(of: path), status.isRegularFile else { continue }
            result.append(Candidate(path: path, status: status))
        }
        let configured = configuredFile
        return result.sorted {
            ($0.status.modified, $0.path == configured ? 1 : 0, $0.path) < ($1.status.modified, $1.path == configured ? 1 : 0, $1.path)
        }
    }

    private func listPaths(includeRotated: Bool) -> [String] {
        var paths: [String]
        switch kind {
        case let .file(path):
            paths = [path]
            if includeRotated { paths += rotatedSiblings(of: path) }
        case let .directory(directory):
            let names = fileSystem.names(in: directory)
            paths = Self.filter(names.map { (directory as NSString).appendingPathComponent($0) }, format: format)
        case let .glob(pattern):
            paths = Self.filter(fileSystem.glob(pattern), format: format)
        }
        return paths.sorted()
    }

    /// Opens a listed file, provided its name still leads to it: renamed after the listing, the name
    /// would give another file.
    package func open(_ candidate: Candidate) -> (any LogFile)? {
        guard let handle = fileSystem.open(candidate.path), handle.status()?.isSameFile(as: candidate.status) == true
        else { return nil }
        return handle
    }

    /// The file the server is writing now, if the source has any file.
    package func current(among candidates: [Candidate]) -> Candidate? {
        if case .file = kind { return candidates.first { $0.path == configuredFile } }
        if let named = currentLogfile(), let match = candidates.first(where: { $0.path == named }) {
            return match
        }
        return candidates.last
    }

    /// The single configured file, if that is the kind.
    package var configuredFile: String? {
        if case let .file(path) = kind { return path }
        return nil
    }

    /// The entry of `current_logfiles` for this source's format, as a path.
    private func currentLogfile() -> String? {
        guard let listPath = currentLogfilesPath,
              let text = fileSystem.text(of: listPath) else { return nil }
        let wanted: Set<String> = switch format {
        case .auto: ["jsonlog", "csvlog", "stderr"]
        case .stderr: ["stderr"]
        case .csvlog: ["csvlog"]
        case .jsonlog: ["jsonlog"]
        case .syslog, .docker, .cri, .cloudnativepg, .journal: []
        }
        let dataDirectory = (listPath as NSString).deletingLastPathComponent
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, wanted.contains(String(parts[0])) else { continue }
            let file = String(parts[1])
            let path = file.hasPrefix("/") ? file : (dataDirectory as NSString).appendingPathComponent(file)
            if fileSystem.status(of: path) != nil { return (path as NSString).standardizingPath }
        }
        return nil
    }

    /// `name.1`, `name-20261127`, `name.2026-11-27`: what logrotate and friends rename a file to.
    func rotatedSiblings(of path: String) -> [String] {
        let directory = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let names = fileSystem.names(in: directory.isEmpty ? "." : directory)
        return names.filter { name in
            name != base && (name.hasPrefix(base + ".") || name.hasPrefix(base + "-"))
                && !Self.compressedSuffixes.contains { name.hasSuffix($0) }
        }.map { (directory as NSString).appendingPathComponent($0) }
    }

    /// Drops hidden and compressed files and `current_logfiles`, and keeps one kind per the format.
    static func filter(_ paths: [String], format: LogFormat) -> [String] {
        let visible = paths.filter { path in
            let name = (path as NSString).lastPathComponent
            return !name.hasPrefix(".") && name != "current_logfiles"
                && !compressedSuffixes.contains { name.hasSuffix($0) }
        }
        let json = visible.filter { $0.hasSuffix(".json") }
        let csv = visible.filter { $0.hasSuffix(".csv") }
        let other = visible.filter { !$0.hasSuffix(".json") && !$0.hasSuffix(".csv") }
        switch format {
        case .jsonlog: return json
        case .csvlog: return csv
        case .stderr: return other
        case .syslog, .docker, .cri, .cloudnativepg, .journal: return visible
        case .auto: return !json.isEmpty ? json : (!csv.isEmpty ? csv : other)
        }
    }
}
