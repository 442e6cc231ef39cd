/// A `host:port` to listen on, as operators write it: `127.0.0.1:9188`, `0.0.0.0:8443`, `[::1]:9188`.
package struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The host, without brackets.
    package var host: String
    /// The port; 0 (only where allowed) lets the system pick one.
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[v6]:port`; nil when malformed or the port is out of range. A port of 0
    /// is accepted only with `allowAnyPort` (tests that let the system pick a free port).
    package init?(parsing text: String, allowAnyPort: Bool = false) {
        let host: Substring
        let portText: Substring
        if text.first == "[" {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            guard after.first == ":" else { return nil }
            portText = after.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            guard !host.contains(":") else { return nil }
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace }),
              portText.allSatisfy({ ("0"..."9").contains($0) }), let port = Int(portText),
              ((allowAnyPort ? 0 : 1)...65535).contains(port)
        else { return nil }
        self.init(host: String(host), port: port)
    }

    /// Whether only this host can connect: `localhost`, 127.0.0.0/8 or `::1`.
    package var isLoopback: Bool {
        host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" || host.hasPrefix("127.")
    }

    /// The host as it goes into a URL: IPv6 in brackets.
    package var hostForURL: String { host.contains(":") ? "[\(host)]" : host }

    package var description: String { "\(hostForURL):\(port)" }
}
