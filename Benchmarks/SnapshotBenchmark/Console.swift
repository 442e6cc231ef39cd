import Glibc

/// Progress and diagnostics go to stderr; stdout carries only results.
enum Console {
    static func note(_ message: String) {
        let line = Array("snapshot-benchmark: \(message)\n".utf8)
        _ = line.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count) }
    }
}
