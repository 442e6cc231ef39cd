import Glibc

/// Asks the byte-counting relay (`Benchmarks/byte-relay.py`) for its totals over its control port.
///
/// The relay counts what it reads from the server before it forwards it, so once a cycle has received
/// its last row the relay's `down` total already includes it. A blocking socket, outside every timed part.
struct RelayCounters: Sendable {
    struct Totals: Sendable {
        /// Bytes server → client, all connections since the relay started.
        var down: Int
        /// Bytes client → server.
        var up: Int
        /// Connections accepted so far.
        var opened: Int
    }

    struct RelayError: Error, CustomStringConvertible {
        var description: String
    }

    let port: Int

    func read() throws -> Totals {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RelayError(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw RelayError(description: "cannot reach the relay's control port \(port)") }
        let request = Array("stats\n".utf8)
        guard write(fd, request, request.count) == request.count else {
            throw RelayError(description: "cannot write to the relay")
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            reply += buffer[0..<count]
        }
        // "down=N up=N opened=N open=N\n"
        var fields: [String: Int] = [:]
        for part in String(decoding: reply, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, let value = Int(pair[1]) { fields[String(pair[0])] = value }
        }
        guard let down = fields["down"], let up = fields["up"], let opened = fields["opened"] else {
            throw RelayError(description: "the relay's reply did not parse")
        }
        return Totals(down: down, up: up, opened: opened)
    }
}
