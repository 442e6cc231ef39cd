// Sessions: the user and database of each pid's session, learnt from the log itself, settle lines whose
// prefix reads in more than one way.
extension StderrLogParser {
    /// Learns a session's user and database from `connection authorized: user=… database=…`, and forgets
    /// them when the session ends (or its pid starts another one).
    mutating func learnSession(from text: UnsafeBufferPointer<UInt8>, key: Int) {
        guard key >= 0, let first = text.first, first == UInt8(ascii: "c") || first == UInt8(ascii: "d"),
              text.count >= 12, text[1] == UInt8(ascii: "o"), text[2] == UInt8(ascii: "n") || text[2] == UInt8(ascii: "i")
        else { return }  // "connection …", "disconnection: …": nothing else needs a copy
        let bytes = Array(text)
        if bytes.starts(with: Self.authorized) {
            let body = bytes[Self.authorized.count...]
            guard let databaseMark = body.firstRange(of: Self.databaseKey)?.lowerBound else { return }
            let user = Array(body[body.startIndex..<databaseMark])
            var rest = body[(databaseMark + Self.databaseKey.count)...]
            for end in [Self.applicationKey, Self.sslKey, Self.gssKey] {
                if let mark = rest.firstRange(of: end)?.lowerBound { rest = rest[rest.startIndex..<mark] }
            }
            if sessionNames.count >= 4 * maximumOpenEntries { sessionNames.removeAll() }
            sessionNames[key] = LogLinePrefix.Pins(user: user, database: Array(rest))
        } else if bytes.starts(with: Self.disconnection) || bytes.starts(with: Self.received) {
            sessionNames[key] = nil
        }
    }

    static let authorized = Array("connection authorized: user=".utf8)
    static let databaseKey = Array(" database=".utf8)
    static let applicationKey = Array(" application_name=".utf8)
    static let sslKey = Array(" SSL enabled".utf8)
    static let gssKey = Array(" GSS ".utf8)
    static let disconnection = Array("disconnection: ".utf8)
    static let received = Array("connection received: ".utf8)

}
