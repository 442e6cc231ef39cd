/// Parses libpq connection strings, as operators know them from `psql`: the keyword/value form
/// (`host=/var/run/postgresql dbname=postgres user=bitville_monitor`) and the URI form
/// (`postgresql://user:password@host:5432/dbname?sslmode=require`, also `postgres://`).
///
/// The result is the keywords the string sets, with their raw values; interpreting them (defaults,
/// the `PG*` environment, `.pgpass`) is the job of ``ConnectionSettings``' `resolve`.
///
/// ## Keyword/value form
/// Pairs `keyword = value` separated by blanks; blanks around `=` are allowed. A value in single
/// quotes may contain blanks; inside and outside quotes, `\'` and `\\` (a backslash before any
/// character) give that character literally. A keyword given twice keeps the last value, as in libpq.
///
/// ## URI form
/// `postgresql://[user[:password]@][host][:port][/dbname][?keyword=value&…]`. Every part is
/// percent-decoded, so a socket directory may be given as the host
/// (`postgresql://%2Fvar%2Frun%2Fpostgresql/db`) or, with an empty host, as a query parameter
/// (`postgresql:///db?host=/var/run/postgresql`). IPv6 addresses go in brackets
/// (`postgresql://[::1]:5432/db`). Query parameters override the parts before them; `ssl=true` means
/// `sslmode=require` (as in libpq).
///
/// ## Keywords
/// ``keywords`` lists the recognised keywords. Any other is refused, like libpq's
/// "invalid connection option". Several hosts (`h1,h2`) are refused later, by the resolver.
///
/// Errors name the keyword (`conninfo.sslmode`) or just `conninfo`, and never contain the string
/// itself: it may hold a password.
package enum ConnInfoParser {
    /// The recognised keywords: `host`, `hostaddr`, `port`, `dbname`, `user`, `password`,
    /// `passfile`, `sslmode`, `sslrootcert`, `connect_timeout`, `application_name`, `options`.
    package static let keywords: [String] = [
        "host", "hostaddr", "port", "dbname", "user", "password", "passfile",
        "sslmode", "sslrootcert", "connect_timeout", "application_name", "options",
    ]

    /// The URI prefixes libpq accepts.
    package static let uriPrefixes = ["postgresql://", "postgres://"]

    /// Parses a conninfo string or URI into the keywords it sets and their raw values.
    ///
    /// The empty string sets nothing.
    ///
    /// - Throws: ``AgentConfigurationError`` with key `conninfo` or `conninfo.KEYWORD`: `syntax` for
    ///   a malformed string, `unknownKey` for an unrecognised keyword or query parameter,
    ///   `invalidValue` for bad percent-encoding or several hosts in a URI.
    package static func parse(_ conninfo: String) throws(AgentConfigurationError) -> [String: String] {
        for prefix in self.uriPrefixes where conninfo.hasPrefix(prefix) {
            return try self.parseURI(conninfo.dropFirst(prefix.count))
        }
        return try self.parseKeywordValue(conninfo)
    }

    // MARK: keyword/value

    private static func parseKeywordValue(_ conninfo: String) throws(AgentConfigurationError) -> [String: String] {
        var result: [String: String] = [:]
        let characters = Array(conninfo)
        var index = 0
        var previousKeyword: String?

        func skipWhitespace() {
            while index < characters.count, characters[index].isWhitespace { index += 1 }
        }

        while true {
            skipWhitespace()
            guard index < characters.count else { break }

            let keywordStart = index
            while index < characters.count, !characters[index].isWhitespace, characters[index] != "=" {
                index += 1
            }
            let keyword = String(characters[keywordStart..<index])
            skipWhitespace()
            guard index < characters.count, characters[index] == "=" else {
                throw AgentConfigurationError(
                    code: .syntax, key: "conninfo",
                    message: "expected `keyword=value` pairs separated by spaces, or a postgresql:// URI; a word without `=` was found"
                )
            }
            index += 1
            skipWhitespace()

            var value = ""
            if index < characters.count, characters[index] == "'" {
                index += 1
                var closed = false
                while index < characters.count {
                    let character = characters[index]
                    index += 1
                    if character == "\\" {
                        if index < characters.count {
                            value.append(characters[index])
                            index += 1
                        }
                    } else if character == "'" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else {
                    throw AgentConfigurationError(
                        code: .syntax, key: self.errorKey(for: keyword),
                        message: "a quoted value has no closing `'`"
                    )
                }
            } else {
                while index < characters.count, !characters[index].isWhitespace {
                    let character = characters[index]
                    index += 1
                    if character == "\\" {
                        if index < characters.count {
                            value.append(characters[index])
                            index += 1
                        }
                    } else {
                        value.append(character)
                    }
                }
            }
            try self.checkKeyword(keyword, isQueryParameter: false, after: previousKeyword)
            result[keyword] = value
            previousKeyword = keyword
        }
        return result
    }

    // MARK: URI

    private static func parseURI(_ uri: Substring) throws(AgentConfigurationError) -> [String: String] {
        var result: [String: String] = [:]
        let queryStart = uri.firstIndex(of: "?")
        let beforeQuery = uri[..<(queryStart ?? uri.endIndex)]
        let pathStart = beforeQuery.firstIndex(of: "/")
        let authority = beforeQuery[..<(pathStart ?? beforeQuery.endIndex)]

        // user[:password]@ — the last `@` ends it, so an unencoded `@` in a password still works.
        var hostAndPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostAndPort = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = try self.percentDecode(userInfo[..<colon], key: "conninfo.user")
                if !user.isEmpty { result["user"] = user }
                result["password"] = try self.percentDecode(userInfo[userInfo.index(after: colon)...], key: "conninfo.password")
            } else {
                let user = try self.percentDecode(userInfo, key: "conninfo.user")
                if !user.isEmpty { result["user"] = user }
            }
        }

        // host[:port], the host possibly in brackets.
        var host: Substring
        var afterHost: Substring
        if hostAndPort.first == "[" {
            guard let close = hostAndPort.firstIndex(of: "]") else {
                throw AgentConfigurationError(
                    code: .syntax, key: "conninfo.host",
                    message: "an IPv6 address in a URI must be closed with `]`"
                )
            }
            host = hostAndPort[hostAndPort.index(after: hostAndPort.startIndex)..<close]
            afterHost = hostAndPort[hostAndPort.index(after: close)...]
            guard afterHost.isEmpty || afterHost.first == ":" || afterHost.first == "," else {
                throw AgentConfigurationError(
                    code: .syntax, key: "conninfo.host",
                    message: "only `:port` may follow a bracketed IPv6 address in a URI"
                )
            }
        } else {
            let end = hostAndPort.firstIndex { $0 == ":" || $0 == "," } ?? hostAndPort.endIndex
            host = hostAndPort[..<end]
            afterHost = hostAndPort[end...]
        }
        if afterHost.contains(",") {
            throw AgentConfigurationError(
                code: .invalidValue, key: "conninfo.host",
                message: "several hosts are not supported yet; give exactly one host"
            )
        }
        let decodedHost = try self.percentDecode(host, key: "conninfo.host")
        if !decodedHost.isEmpty { result["host"] = decodedHost }
        if afterHost.first == ":" {
            let port = try self.percentDecode(afterHost.dropFirst(), key: "conninfo.port")
            if !port.isEmpty { result["port"] = port }
        }

        if let pathStart {
            let database = try self.percentDecode(beforeQuery[beforeQuery.index(after: pathStart)...], key: "conninfo.dbname")
            if !database.isEmpty { result["dbname"] = database }
        }

        if let queryStart {
            for parameter in uri[uri.index(after: queryStart)...].split(separator: "&") {
                guard let equals = parameter.firstIndex(of: "=") else {
                    throw AgentConfigurationError(
                        code: .syntax, key: "conninfo",
                        message: "every URI query parameter must have the form `keyword=value`"
                    )
                }
                let keyword = try self.percentDecode(parameter[..<equals], key: "conninfo")
                let value = try self.percentDecode(parameter[parameter.index(after: equals)...], key: self.errorKey(for: keyword))
                if keyword == "ssl" {
                    // libpq's JDBC-compatible spelling.
                    guard value == "true" else {
                        throw AgentConfigurationError(
                            code: .invalidValue, key: "conninfo.ssl",
                            message: "the only accepted value is `true` (meaning sslmode=require)"
                        )
                    }
                    result["sslmode"] = "require"
                    continue
                }
                try self.checkKeyword(keyword, isQueryParameter: true)
                result[keyword] = value
            }
        }
        return result
    }

    // MARK: helpers

    private static func checkKeyword(
        _ keyword: String, isQueryParameter: Bool, after previous: String? = nil
    ) throws(AgentConfigurationError) {
        guard !self.keywords.contains(keyword) else { return }
        let what = isQueryParameter ? "invalid URI query parameter" : "invalid connection option"
        var hint = ""
        if let previous, self.errorKey(for: keyword) == "conninfo" {
            hint = " (after the value of `\(previous)`: a value with spaces must be in single quotes)"
        }
        throw AgentConfigurationError(
            code: .unknownKey, key: self.errorKey(for: keyword),
            message: "\(what)\(hint); supported keywords: \(self.keywords.joined(separator: ", "))"
        )
    }

    /// `conninfo.KEYWORD` when the word is one of libpq's keywords (public words, whether we support them
    /// or not); `conninfo` for any other word before an `=`: it may be a piece of a value, such as the rest
    /// of an unquoted password with a space (`password=abc def=x`), and we never print a possible secret.
    private static func errorKey(for keyword: String) -> String {
        self.keywords.contains(keyword) || self.libpqKeywords.contains(keyword) ? "conninfo.\(keyword)" : "conninfo"
    }

    /// Every keyword libpq knows (PostgreSQL 18), supported here or not.
    private static let libpqKeywords: Set<String> = [
        "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "channel_binding", "connect_timeout",
        "client_encoding", "options", "application_name", "fallback_application_name", "keepalives",
        "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout", "replication",
        "gssencmode", "sslmode", "sslnegotiation", "sslcompression", "sslcert", "sslkey", "sslcertmode",
        "sslpassword", "sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version",
        "ssl_max_protocol_version", "krbsrvname", "gsslib", "gssdelegation", "service", "target_session_attrs",
        "load_balance_hosts", "require_auth", "scram_client_key", "scram_server_key", "oauth_issuer",
        "oauth_client_id", "oauth_client_secret", "oauth_scope",
    ]

    /// Decodes `%XX` sequences; the result must be valid UTF-8 without NUL bytes.
    private static func percentDecode(_ text: Substring, key: String) throws(AgentConfigurationError) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                index += 1
                continue
            }
            guard index + 2 < utf8.count,
                let high = self.hexValue(utf8[index + 1]), let low = self.hexValue(utf8[index + 2])
            else {
                throw AgentConfigurationError(
                    code: .invalidValue, key: key,
                    message: "invalid percent-encoding in the URI (expected `%` and two hex digits)"
                )
            }
            let decoded = high << 4 | low
            guard decoded != 0 else {
                throw AgentConfigurationError(
                    code: .invalidValue, key: key, message: "`%00` is not allowed in a URI"
                )
            }
            bytes.append(decoded)
            index += 3
        }
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw AgentConfigurationError(
                code: .invalidValue, key: key, message: "the percent-decoded URI part is not valid UTF-8"
            )
        }
        return string
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
