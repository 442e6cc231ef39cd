import Foundation
@testable import LogPipeline

/// The server's syslog messages of Fixtures/syslog-pg15 (a real server through a real rsyslogd) as the
/// journal holds them when journald receives them instead: one entry per message, `MESSAGE` the text
/// after `postgres[PID]: `, with the fields journald adds.
enum JournalFixture {
    struct Entry {
        var realtime: Int64
        var pid: Int
        var identifier: String
        var message: String
        var transport = "syslog"
    }

    /// The entries of precise.log (foreign programs' included), in order.
    static func entries() throws -> [Entry] {
        let text = String(decoding: try StderrLogParserJSONLogOracleTests.fixture("syslog-pg15/precise.log"), as: UTF8.self)
        var entries: [Entry] = []
        for (index, line) in text.split(separator: "\n").enumerated() {
            let bytes = Array(line.utf8)
            let header = bytes.withUnsafeBufferPointer { SyslogHeader($0) }
            guard let header else { continue }
            let identifier = String(decoding: bytes[header.ident], as: UTF8.self)
            // rsyslog's #011 back to a tab: the journal stores the bytes as sent.
            let message = String(decoding: bytes[header.messageStart...], as: UTF8.self)
                .replacingOccurrences(of: "#011", with: "\t").replacingOccurrences(of: "#012", with: "\n")
            entries.append(Entry(realtime: 1_796_637_600_000_000 + Int64(index) * 1_000, pid: header.pid ?? 1,
                                 identifier: identifier, message: message))
        }
        return entries
    }

    /// As `journalctl --output=json` prints them (the cursor made up, as unique as journald's).
    static func json(_ entries: [Entry]) throws -> String {
        try entries.enumerated().map { index, entry in
            let object: [String: String] = [
                "__CURSOR": "s=fixture;i=\(index + 1)", "__REALTIME_TIMESTAMP": "\(entry.realtime)",
                "MESSAGE": entry.message, "SYSLOG_IDENTIFIER": entry.identifier, "SYSLOG_PID": "\(entry.pid)",
                "_PID": "\(entry.pid)", "_TRANSPORT": entry.transport, "PRIORITY": "6",
            ]
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }.joined(separator: "\n") + "\n"
    }

    /// In the Journal Export Format, for systemd-journal-remote.
    static func export(_ entries: [Entry], bootID: String = "0123456789abcdef0123456789abcdef") -> [UInt8] {
        var bytes: [UInt8] = []
        func field(_ name: String, _ value: String) {
            let data = Array(value.utf8)
            if data.contains(UInt8(ascii: "\n")) {
                bytes += Array(name.utf8) + [UInt8(ascii: "\n")]
                var length = UInt64(data.count).littleEndian
                withUnsafeBytes(of: &length) { bytes += $0 }
                bytes += data + [UInt8(ascii: "\n")]
            } else {
                bytes += Array("\(name)=\(value)\n".utf8)
            }
        }
        for entry in entries {
            field("__REALTIME_TIMESTAMP", "\(entry.realtime)")
            field("__MONOTONIC_TIMESTAMP", "\(entry.realtime - 1_796_637_000_000_000)")
            field("_BOOT_ID", bootID)
            field("MESSAGE", entry.message)
            field("SYSLOG_IDENTIFIER", entry.identifier)
            field("SYSLOG_PID", "\(entry.pid)")
            field("_PID", "\(entry.pid)")
            field("PRIORITY", "6")
            field("SYSLOG_FACILITY", "16")
            field("_TRANSPORT", entry.transport)
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }
}
