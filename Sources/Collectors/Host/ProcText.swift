/// Splitting the text of /proc files into lines and fields by their bytes. The kernel writes ASCII
/// separated by spaces, tabs and newlines; `String.split` on `Character` pays for Unicode grapheme
/// breaking on every byte, which made reading /proc a tenth of a snapshot cycle's CPU (callgrind).
enum ProcText {
    /// The non-empty lines of `text`.
    static func lines(_ text: String) -> [Substring] {
        text.utf8.split(separator: UInt8(ascii: "\n")).map { Substring($0) }
    }

    /// The fields of `line`, separated by runs of spaces and tabs.
    static func fields(_ line: Substring) -> [Substring] {
        line.utf8.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }).map { Substring($0) }
    }

    /// The fields of `text` (one line, such as /proc/loadavg), separated by any ASCII white space.
    static func fields(_ text: String) -> [Substring] {
        text.utf8.split(whereSeparator: { $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }).map { Substring($0) }
    }
}
