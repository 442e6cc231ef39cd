extension AgentConfiguration {
    /// `[listener]`: where payloads are POSTed and how the agent authenticates.
    ///
    /// Each key can be overridden by `POSTGRES_AGENT_LISTENER_<KEY>`; the API key itself can come
    /// from `POSTGRES_AGENT_LISTENER_API_KEY`.
    package struct Listener: Sendable, Equatable {
        /// `url` (string, default empty): the ingest endpoint, such as
        /// `https://listener:8443/ingest/postgres`. It must be an `http://` or `https://` URL with a
        /// host and without credentials (the key goes in `api_key_file`). `http://` is accepted to this
        /// host (loopback: a local TLS proxy, tests); to any other host it would send the Bearer key in
        /// clear text, and is refused unless ``allowInsecureHTTP``. Empty means "not configured": nothing
        /// is sent.
        package var url = ""

        /// `allow_insecure_http` (boolean, default `false`): accept an `http://` url whose host is not this
        /// one. The API key then crosses the network in clear text; `check` says so.
        package var allowInsecureHTTP = false

        /// `api_key_file` (path, optional, default none): a file holding the Bearer API key; a
        /// trailing line break is ignored and an empty file is an error.
        package var apiKeyFile: String?

        /// The API key: from `POSTGRES_AGENT_LISTENER_API_KEY`, else read from ``apiKeyFile`` at
        /// load time; `nil` when neither is set. Never a key of the INI file.
        package var apiKey: Secret?

        /// `ca_file` (path, optional, default none): an extra CA certificate (PEM) trusted for the
        /// listener's certificate, in addition to the system's.
        package var caFile: String?

        /// `timeout_ms` (integer ≥ 1, default `10000`): the deadline of one POST, in milliseconds.
        package var timeoutMilliseconds = 10000

        /// The defaults.
        package init() {}

        /// Whether a listener is configured (``url`` is not empty).
        package var isConfigured: Bool { !self.url.isEmpty }

        /// ``timeoutMilliseconds`` as a duration.
        package var timeout: Duration { .milliseconds(self.timeoutMilliseconds) }
    }
}

extension AgentConfiguration.Listener {
    /// The keys of `[listener]` in the INI file.
    static let keys = ["url", "api_key_file", "ca_file", "timeout_ms", "allow_insecure_http"]

    /// Keys that only the environment may set.
    static let environmentOnlyKeys = ["api_key"]

    /// Applies the section's settings over the defaults and reads the API key.
    init(reading section: ConfigurationSectionReader, readFile: (String) throws -> String) throws(AgentConfigurationError) {
        self.init()
        if let value = section.value("url") {
            guard value.raw.isEmpty || Self.isAcceptableURL(value.raw) else {
                throw value.error(
                    .invalidValue,
                    "must be an http:// or https:// URL with a host and no user name or password, such as https://listener:8443/ingest/postgres"
                )
            }
            self.url = value.raw
        }
        if let value = section.value("api_key_file") {
            self.apiKeyFile = value.optionalString()
        }
        if let value = section.value("ca_file") {
            self.caFile = value.optionalString()
        }
        if let value = section.value("timeout_ms") {
            self.timeoutMilliseconds = try value.integer(unit: "milliseconds", minimum: 1, maximum: 3_600_000)
        }
        if let value = section.value("allow_insecure_http") {
            self.allowInsecureHTTP = try value.boolean()
        }
        if let value = section.value("url"), self.sendsKeyInClearText, !self.allowInsecureHTTP {
            throw value.error(
                .invalidValue,
                "is http:// to a host other than this one: the API key would cross the network in clear text; use https://, or set [listener] allow_insecure_http = true"
            )
        }
        if let value = section.value("api_key") {
            self.apiKey = Secret(try value.nonEmptyString("the listener API key"))
        } else if let value = section.value("api_key_file") {
            self.apiKey = try value.secretFromFile(describing: "API key", readFile: readFile)
        }
    }

    /// Whether ``url`` is `http://` to a host other than this one (loopback: `127.0.0.0/8`, `::1`,
    /// `localhost`).
    package var sendsKeyInClearText: Bool {
        guard self.url.lowercased().hasPrefix("http://") else { return false }
        let rest = self.url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var host = authority
        if authority.first == "[", let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
        }
        let name = host.lowercased()
        if name == "localhost" || name == "::1" || name.hasSuffix(".localhost") { return false }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }), octets[0] == "127" { return false }
        return true
    }

    /// `http(s)://host[:port][/path][?query]` with a non-empty host, no user info and no blanks.
    static func isAcceptableURL(_ url: String) -> Bool {
        let lowercased = url.lowercased()
        guard let scheme = ["http://", "https://"].first(where: { lowercased.hasPrefix($0) }),
            !url.contains(where: { $0.isWhitespace })
        else { return false }
        let rest = url.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { return false }

        let host: Substring
        let portText: Substring?
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { return false }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || after.first == ":" else { return false }
            portText = after.isEmpty ? nil : after.dropFirst()
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
            portText = nil
        }
        guard !host.isEmpty else { return false }
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else { return false }
        }
        return true
    }
}
