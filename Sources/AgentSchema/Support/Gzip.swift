import CZlib

/// gzip (RFC 1952) through the system's zlib: payloads are compressed once, when spooled, and sent as
/// stored with `Content-Encoding: gzip`.
package enum Gzip {
    /// Why zlib refused.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        /// zlib's return code.
        package var code: Int32
        /// The input inflates past the caller's limit (a `code` of its own would collide with zlib's).
        package var exceededLimit = false
        package var description: String { exceededLimit ? "output over the limit" : "zlib error \(code)" }
    }

    /// Compresses `input` into one gzip member at zlib's `level` (1 fastest … 9 smallest).
    package static func compress(_ input: [UInt8], level: Int32 = 6) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
        var status = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Failure(code: status) }
        defer { deflateEnd(&stream) }
        let capacity = Int(deflateBound(&stream, UInt(input.count))) + 32
        // zlib only reads `next_in` (its type is not `const` for old compilers' sake), so the input is lent
        // as it is rather than copied; the output is not zero-filled first.
        let output = input.withUnsafeBufferPointer { source in
            [UInt8](unsafeUninitializedCapacity: capacity) { target, initialized in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                status = deflate(&stream, Z_FINISH)
                initialized = target.count - Int(stream.avail_out)
            }
        }
        guard status == Z_STREAM_END else { throw Failure(code: status) }
        return output
    }

    /// Decompresses gzip data (one or more members), refusing to produce more than `limit` bytes.
    package static func decompress(_ input: [UInt8], limit: Int = 64 << 20) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        var status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Failure(code: status) }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var input = input
        try input.withUnsafeMutableBufferPointer { (source) throws(Failure) in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            repeat {
                let produced = chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return target.count - Int(stream.avail_out)
                }
                guard status == Z_OK || status == Z_STREAM_END else { throw Failure(code: status) }
                output += chunk[..<produced]
                guard output.count <= limit else { throw Failure(code: Z_BUF_ERROR, exceededLimit: true) }
                if status == Z_STREAM_END, stream.avail_in > 0 {
                    // Another member follows.
                    status = inflateReset(&stream)
                    guard status == Z_OK else { throw Failure(code: status) }
                } else if status == Z_STREAM_END {
                    break
                } else if produced == 0, stream.avail_in == 0 {
                    throw Failure(code: Z_DATA_ERROR) // cut off
                }
            } while true
        }
        return output
    }
}
