/// The cursor position PostgreSQL appends to a message in the stderr log (`_(" at character %d")`, in the
/// server's language), where csvlog and jsonlog keep it in fields of their own (`cursor_position`,
/// `internal_position`). Taking it out of the message makes the same entry read the same in every format.
///
/// The translations are those of PostgreSQL 15's catalogs (Debian's `postgresql-15`,
/// `/usr/share/locale/*/LC_MESSAGES/postgres-15.mo`, msgid `" at character %d"`).
enum CursorPosition {
    /// The text around the number, per language: what comes before it and what after.
    static let templates: [(before: [UInt8], after: [UInt8])] = [
        (" at character ", ""),  // en
        (" bei Zeichen ", ""),  // de
        (" en carácter ", ""),  // es
        (" au caractère ", ""),  // fr
        (" al carattere ", ""),  // it
        ("(", "文字目)"),  // ja
        (" სიმბოლოსთან ", ""),  // ka
        (" ", " 번째 문자 부근"),  // ko
        (" (символ ", ")"),  // ru
        (" vid tecken ", ""),  // sv
        (" символ ", ""),  // uk
        (" 第 ", " 个字符处"),  // zh_CN
    ].map { (Array($0.0.utf8), Array($0.1.utf8)) }

    /// The position at the end of `message`, and the message without it; nil when it ends otherwise.
    static func split(_ message: String) -> (message: String, position: Int)? {
        // Every form ends with a digit, a `)` or a non-ASCII letter: most messages are out after one byte.
        guard let last = message.utf8.last, last &- 0x30 < 10 || last >= 0x80 || last == UInt8(ascii: ")") else { return nil }
        let bytes = Array(message.utf8)
        for (before, after) in templates {
            guard bytes.count > before.count + after.count, bytes.suffix(after.count).elementsEqual(after) else { continue }
            let digitsEnd = bytes.count - after.count
            var digitsStart = digitsEnd
            while digitsStart > 0, bytes[digitsStart - 1] &- 0x30 < 10, digitsEnd - digitsStart < 10 { digitsStart -= 1 }
            guard digitsStart < digitsEnd, digitsStart >= before.count,
                  bytes[(digitsStart - before.count)..<digitsStart].elementsEqual(before),
                  let position = Int(String(decoding: bytes[digitsStart..<digitsEnd], as: UTF8.self)), position > 0
            else { continue }
            let kept = String(decoding: bytes[..<(digitsStart - before.count)], as: UTF8.self)
            return (kept, position)
        }
        return nil
    }
}
