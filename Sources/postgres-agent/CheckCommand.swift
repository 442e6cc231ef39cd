import AgentSchema
import AgentConfiguration
import AgentDaemon
import ArgumentParser
import AsyncHTTPClient
import Collectors
import Foundation
import Logging
import LogPipeline
import NIOCore
import NIOHTTP1
import NIOSSL
import PostgresNIO

/// `postgres-agent check --config FILE`: one ✓/✗ line per aspect, each ✗ with its exact fix
/// (docs/cli.md): the configuration, the state directory, and per server the connection, the privileges,
/// pg_stat_statements, the log (readable, format and prefix recognised on its real lines) and the
/// correlation; then the listener (reachable, key accepted). Exit 0 only if all pass, 1 otherwise, 78 if
/// the configuration does not load.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the configuration, the servers, the logs and the listener; print a fix for each problem."
    )

    @Option(help: "Configuration file (INI).")
    var config: String?

    func run() async throws {
        let environment = AgentEnvironment.current()
        var logger = Logger(label: "postgres-agent.check")
        logger.logLevel = .critical
        var results: [CheckResult] = []
        func report(_ result: CheckResult) {
            results.append(result)
            print(result.rendered)
        }
        let configuration: AgentConfiguration
        do {
            configuration = try AgentConfiguration.load(path: config, environment: environment.variables,
                                                        readFile: { try AgentConfiguration.readFileFromDisk($0) })
            report(CheckResult(aspect: "configuration", passed: true,
                               detail: "\(config ?? "defaults and environment"): \(configuration.postgres.count) server(s)"))
        } catch {
            report(CheckResult(aspect: "configuration", passed: false, detail: "\(error)",
                               fix: "correct the key named above (see packaging/postgres-agent.ini.example)"))
            throw ExitStatus.configuration
        }
        report(Self.checkStateDirectory(configuration.agent.stateDirectory))
        report(Self.checkSecretFiles(configuration, environment: environment))
        for instance in configuration.postgres {
            for result in await Self.checkServer(instance, configuration: configuration, environment: environment, logger: logger) {
                report(result)
            }
        }
        report(await Self.checkListener(configuration, environment: environment))
        report(await Self.checkMetrics(configuration))
        let failed = results.filter { !$0.passed }.count
        print(failed == 0 ? "all \(results.count) checks passed" : "\(failed) of \(results.count) checks failed")
        if failed > 0 { throw ExitStatus.checkFailed }
    }

    static func checkStateDirectory(_ path: String) -> CheckResult {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
            let probe = path + "/.check-\(getpid())"
            guard FileManager.default.createFile(atPath: probe, contents: Data("ok".utf8)) else {
                throw CocoaError(.fileWriteNoPermission)
            }
            try FileManager.default.removeItem(atPath: probe)
            return CheckResult(aspect: "state directory", passed: true, detail: "\(path) is writable")
        } catch {
            return CheckResult(aspect: "state directory", passed: false, detail: "\(path) is not writable by \(AgentEnvironment.current().osUser)",
                               fix: "install -d -m 0750 -o bitville-agent -g bitville-agent \(path)")
        }
    }

    /// `[metrics] listen`: free to bind, or served by a running agent (its `/healthz` answers); the URL
    /// to scrape either way. A port another program holds is a cross: the agent would run without it. So
    /// is a `web_config_file` that cannot be used (the endpoint stays down), and an address beyond this host
    /// served without TLS or authentication.
    static func checkMetrics(_ configuration: AgentConfiguration) async -> CheckResult {
        guard let address = configuration.metrics.listenAddress else {
            return CheckResult(aspect: "metrics", passed: true, detail: "[metrics] listen is empty: no endpoint to scrape")
        }
        var web = MetricsWebConfig()
        var tls = false
        if !configuration.metrics.webConfigFile.isEmpty {
            do {
                web = try MetricsWebConfig.load(path: configuration.metrics.webConfigFile)
                tls = try web.tlsConfiguration() != nil
            } catch {
                return CheckResult(aspect: "metrics", passed: false, detail: "\(error): the endpoint would stay down",
                                   fix: "correct \(configuration.metrics.webConfigFile) (the exporter-toolkit web configuration format, see docs/configuration.md)")
            }
        }
        var protection = tls ? ["TLS"] : []
        if !web.users.isEmpty { protection.append("basic auth, \(web.users.count) user(s)") }
        if !address.isLoopback, protection.isEmpty {
            return CheckResult(aspect: "metrics", passed: false,
                               detail: "\(address) is reachable beyond this host, without TLS or authentication",
                               fix: "set [metrics] web_config_file to a file with tls_server_config and basic_auth_users, or listen = 127.0.0.1:\(address.port)")
        }
        let base = "\(tls ? "https" : "http")://\(address.hostForURL):\(address.port)"
        let url = "\(base)/metrics" + (protection.isEmpty ? "" : " (\(protection.joined(separator: ", ")))")
        if PortProbe.canBind(host: address.host, port: address.port) {
            return CheckResult(aspect: "metrics", passed: true, detail: "\(address) is free; scrape \(url)")
        }
        // Who holds the port? A running agent answers /healthz ("ok"/"stalled", or 401 behind basic auth).
        if await Self.agentAnswers(base: base, tls: tls) {
            return CheckResult(aspect: "metrics", passed: true, detail: "a running agent serves \(url)")
        }
        return CheckResult(aspect: "metrics", passed: false,
                           detail: "\(address) is taken by another program: the agent would run without its endpoint",
                           fix: "free the port, or set [metrics] listen to another address (empty turns the endpoint off)")
    }

    /// Whether `base` + `/healthz` answers as the agent's endpoint does. Over TLS the certificate is not
    /// verified (this only asks who holds the port), with a client of its own, shut down before return.
    static func agentAnswers(base: String, tls: Bool) async -> Bool {
        var request = HTTPClientRequest(url: "\(base)/healthz")
        request.method = .GET
        func answers(_ client: HTTPClient) async -> Bool {
            guard let response = try? await client.execute(request, timeout: .seconds(2)),
                  let body = try? await response.body.collect(upTo: 4_096) else { return false }
            let text = String(buffer: body)
            return text.hasPrefix("ok") || text.hasPrefix("stalled")
                || (response.status == .unauthorized && response.headers.first(name: "WWW-Authenticate") == "Basic")
        }
        guard tls else { return await answers(HTTPClient.shared) }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: configuration))
        let answered = await answers(client)
        try? await client.shutdown()
        return answered
    }

    /// The key, password and `.pgpass` files must not be open to other users (``SecretFileAudit``).
    static func checkSecretFiles(_ configuration: AgentConfiguration, environment: AgentEnvironment) -> CheckResult {
        let findings = SecretFileAudit.findings(configuration, environment: environment.variables)
        guard !findings.isEmpty else {
            return CheckResult(aspect: "secret files", passed: true, detail: "no key, password or .pgpass file is open to other users")
        }
        return CheckResult(aspect: "secret files", passed: false,
                           detail: findings.map(\.description).joined(separator: "; "),
                           fix: findings.map(\.fix).joined(separator: "; "))
    }

    static func checkServer(_ instance: AgentConfiguration.PostgresInstance, configuration: AgentConfiguration,
                            environment: AgentEnvironment, logger: Logger) async -> [CheckResult] {
        let name = instance.name
        let runtime: InstanceRuntime
        do {
            runtime = try InstanceRuntime(instance: instance, configuration: configuration, environment: environment,
                                          stateDirectory: nil)
        } catch {
            return [CheckResult(aspect: "connection", instance: name, passed: false, detail: "\(error)",
                                fix: "correct [\(instance.sectionName)] conninfo")]
        }
        let place = switch runtime.connection.endpoint {
        case let .tcp(host, port): "\(host):\(port)"
        case let .unixSocket(path): path
        }
        let target = "\(runtime.connection.user)@\(place)/\(runtime.connection.database)"
        do {
            try await runtime.makeProbe().run(logger: logger)
        } catch {
            let tls = PostgresTLSPlan.explain(error, settings: runtime.connection)
            let reason = tls ?? CollectorError.from(error)
            return [CheckResult(aspect: "connection", instance: name, passed: false, detail: "\(target): \(reason)",
                                fix: tls?.hint ?? Self.connectionFix(reason, instance: instance, role: runtime.connection.user))]
        }
        var results: [CheckResult] = []
        var serverLogs: ServerLogSettings?
        do {
            let (readiness, logs, encryption) = try await runtime.withClient(logger: logger) { client in
                // The log settings need pg_monitor too (data_directory); without them the log check
                // goes on with the configured path and prefix.
                (try await ServerReadiness.fetch(client: client, logger: logger),
                 try? await ServerLogSettings.fetch(client: client, logger: logger),
                 try? await SessionEncryption.fetch(client: client, logger: logger))
            }
            serverLogs = logs
            results.append(CheckResult(aspect: "connection", instance: name, passed: true,
                                       detail: "\(target), PostgreSQL \(readiness.serverVersion)"))
            if let encryption { results.append(encryption.check(instance: name, settings: runtime.connection)) }
            let correlation = (try? CorrelationExtractor(pattern: configuration.correlation.pattern)) ?? (try! CorrelationExtractor())
            results += readiness.checks(instance: name, database: runtime.connection.database, correlation: correlation,
                                        agentApplicationName: runtime.settings.applicationName)
        } catch {
            results.append(CheckResult(aspect: "connection", instance: name, passed: false,
                                       detail: "\(target): \(CollectorError.from(error))", fix: "see the reason above"))
            return results
        }
        let logs = configuration.logs(for: instance)
        let log = checkLog(logs, server: serverLogs, instance: instance)
        results.append(log.result)
        if log.result.passed, logs.isEnabled {
            results.append(checkLogCorrelation(format: log.format, prefix: log.prefix, server: serverLogs, instance: instance))
        }
        return results
    }

    static func connectionFix(_ error: CollectorError, instance: AgentConfiguration.PostgresInstance, role: String) -> String {
        let text = "\(error)".lowercased()
        if error.sqlState == "28000", let hint = error.hint {
            return hint.replacingOccurrences(of: "OSUSER", with: AgentEnvironment.current().osUser)
                .replacingOccurrences(of: "ROLE", with: role)
        }
        if text.contains("password") || text.contains("authentication") {
            return "give the role's password in password_file (or POSTGRES_AGENT_POSTGRES_PASSWORD), and allow the agent in pg_hba.conf"
        }
        if text.contains("does not exist") {
            return "create the role: CREATE ROLE bitville_monitor LOGIN; GRANT pg_monitor TO bitville_monitor; or correct [\(instance.sectionName)] conninfo"
        }
        return "is the server running and listening there? check [\(instance.sectionName)] conninfo (host, port) and listen_addresses"
    }

    /// The log: the file the daemon would read, readable, its format detected and its first lines parsed.
    static func checkLog(_ logs: AgentConfiguration.Logs, server: ServerLogSettings?,
                         instance: AgentConfiguration.PostgresInstance,
                         locator: LogLocator = LogLocator()) -> (result: CheckResult, format: LogFormat?, prefix: String?) {
        let name = instance.name
        guard logs.isEnabled else {
            return (CheckResult(aspect: "log", instance: name, passed: true, detail: "log tailing is off ([logs] path is empty)"), nil, nil)
        }
        if logs.isJournal {
            return (checkJournal(logs, instance: instance, server: server), .syslog, logs.prefix == "auto" ? server?.logLinePrefix : logs.prefix)
        }
        var path = logs.path
        var rule = ""
        if path == "auto" {
            guard let server else {
                return (CheckResult(aspect: "log", instance: name, passed: false, detail: "path = auto, but the server's log settings cannot be read",
                                   fix: "GRANT pg_monitor TO the agent's role, or set log_path of [\(instance.sectionName)] (or [logs] path) to the server's log file or directory"), nil, nil)
            }
            switch locator.locate(server.locatorFacts) {
            case let .success(location) where location.path == "journal":
                var journal = logs
                journal.path = "journal"
                var result = checkJournal(journal, instance: instance, server: server)
                result.detail += " (path = auto: \(location.rule))"
                return (result, .syslog, logs.prefix == "auto" ? server.logLinePrefix : logs.prefix)
            case let .success(location):
                path = location.path
                rule = " (path = auto: \(location.rule))"
            case let .failure(failure):
                return (CheckResult(aspect: "log", instance: name, passed: false, detail: "path = auto: \(failure.reason)", fix: failure.fix), nil, nil)
            }
        }
        let scanner = LogSourceScanner(path: path, format: logs.format, dataDirectory: instance.dataDirectory ?? server?.dataDirectory)
        guard let file = scanner.current(among: scanner.candidates())?.path else {
            return (CheckResult(aspect: "log", instance: name, passed: false, detail: "no log file found at \(path)\(rule)",
                               fix: "point [logs] path at the file or directory PostgreSQL writes (SHOW log_directory; SELECT pg_current_logfile();)"), nil, nil)
        }
        guard let handle = FileHandle(forReadingAtPath: file) else {
            return (CheckResult(aspect: "log", instance: name, passed: false, detail: "cannot read \(file) as \(AgentEnvironment.current().osUser)",
                               fix: "usermod -aG adm bitville-agent (Debian's /var/log/postgresql), or for logs in the data directory set log_file_mode = 0640 and add the agent's user to the postgres group"), nil, nil)
        }
        let head = [UInt8]((try? handle.read(upToCount: 64 << 10)) ?? Data())
        try? handle.close()
        guard !head.isEmpty else {
            return (CheckResult(aspect: "log", instance: name, passed: true, detail: "\(file) is readable and empty so far\(rule)"), logs.format == .auto ? nil : logs.format, logs.prefix == "auto" ? server?.logLinePrefix : logs.prefix)
        }
        let format = logs.format == .auto ? LogFormatDetector.format(name: file, head: head) : logs.format
        var prefix: LogLinePrefix?
        var prefixText = logs.prefix
        let ident = server?.syslogIdent ?? "postgres"
        if format.hasPrefix {
            if logs.prefix == "auto", let serverPrefix = server?.logLinePrefix {
                prefixText = serverPrefix
            }
            let sample = LogFormatDetector.prefixSample(head, format: format, syslogIdent: ident)
            prefix = prefixText == "auto" ? LogFormatDetector.prefix(for: sample) : try? LogLinePrefix(prefixText)
        }
        // Whole lines only: the sample may end inside one.
        let whole = head.lastIndex(of: 0x0A).map { Array(head[...$0]) } ?? head
        var parser = LogEntryParser(format: format, prefix: prefix, fileName: file, maximumEntryBytes: 1 << 20,
                                    syslogIdent: ident, referenceTime: Int64(Date().timeIntervalSince1970))
        _ = whole.withUnsafeBufferPointer { parser.consume($0, offset: 0) }
        _ = parser.finish()
        let statistics = parser.statistics
        let described = format.hasPrefix ? "\(format.rawValue) with prefix '\(prefixText)'" : format.rawValue
        if format != .stderr, statistics.entries == 0, statistics.unparsed == 0, statistics.foreign > 0 {
            return (CheckResult(aspect: "log", instance: name, passed: true,
                                detail: "\(file) readable, \(format.rawValue): none of the first \(statistics.lines) lines is the server's yet\(rule)"),
                    format, prefixText)
        }
        guard statistics.entries > 0, statistics.unparsed * 10 <= statistics.lines else {
            return (CheckResult(
                aspect: "log", instance: name, passed: false,
                detail: "\(file): as \(described), \(statistics.unparsed) of \(statistics.lines) lines were not recognised",
                fix: "set [logs] prefix (or log_prefix of [\(instance.sectionName)]) to the server's log_line_prefix: SHOW log_line_prefix;"), nil, nil)
        }
        return (CheckResult(aspect: "log", instance: name, passed: true,
                           detail: "\(file) readable, \(described): \(statistics.entries) entries in the first \(statistics.lines) lines\(rule)"), format, prefixText)
    }

    /// `path = journal`: journalctl runs, may read the journal, and shows the server's last entries.
    static func checkJournal(_ logs: AgentConfiguration.Logs, instance: AgentConfiguration.PostgresInstance,
                             server: ServerLogSettings?, executable: String = "/usr/bin/journalctl") -> CheckResult {
        let name = instance.name
        var arguments = ["--output=json", "--all", "--no-pager", "--quiet", "--lines=20"]
        if let directory = logs.journalDirectory { arguments.append("--directory=\(directory)") }
        arguments += logs.journalMatch.split(separator: " ").map(String.init)
        let user = AgentEnvironment.current().osUser
        let run: (status: Int32, output: [UInt8], errors: String)
        do { run = try JournalProcess.run(executable: executable, arguments: arguments) } catch {
            return CheckResult(aspect: "log", instance: name, passed: false, detail: "path = journal, but \(executable) cannot be run",
                               fix: "install systemd's journalctl (apt-get install systemd), or let the server write a file and set [logs] path to it")
        }
        let message = run.errors
        let denied = message.contains("insufficient permissions") || message.contains("not seeing messages from other users")
            || message.contains("Permission denied")
        if denied || run.status != 0 {
            let reason = message.split(separator: "\n").first.map(String.init) ?? "exit status \(run.status)"
            return CheckResult(aspect: "log", instance: name, passed: false, detail: "journalctl as \(user): \(reason)",
                               fix: "usermod -aG systemd-journal \(user) (then restart the agent), so that it may read the system journal")
        }
        let data = run.output
        var parser = LogEntryParser(format: .journal, prefix: try? LogLinePrefix(logs.prefix == "auto" ? server?.logLinePrefix ?? "%m [%p] " : logs.prefix),
                                    fileName: "journal", maximumEntryBytes: 1 << 20)
        var events = Array(data).withUnsafeBufferPointer { parser.consume($0, offset: 0) }
        events += parser.finish()
        let source = logs.journalDirectory ?? "the system journal"
        guard parser.statistics.lines > 0 else {
            return CheckResult(aspect: "log", instance: name, passed: true,
                               detail: "\(source) is readable; no entry matches \(logs.journalMatch) yet")
        }
        return CheckResult(aspect: "log", instance: name, passed: true,
                           detail: "\(source) readable: \(events.count) entries in its last \(parser.statistics.lines) records of \(logs.journalMatch)")
    }

    /// Whether the log's entries can carry a correlation id: the format names the application (csvlog,
    /// jsonlog, a prefix with `%a`), or the log names each session's application when it starts
    /// (`log_connections`), so that the agent attributes entries by pid.
    static func checkLogCorrelation(format: LogFormat?, prefix: String?, server: ServerLogSettings?,
                                    instance: AgentConfiguration.PostgresInstance) -> CheckResult {
        let name = instance.name
        if let format, !format.hasPrefix {
            return CheckResult(aspect: "log correlation", instance: name, passed: true, detail: "\(format.rawValue) carries application_name")
        }
        guard let prefix else {
            return CheckResult(aspect: "log correlation", instance: name, passed: true, detail: "unknown until the log has an entry")
        }
        if prefix.contains("%a") {
            return CheckResult(aspect: "log correlation", instance: name, passed: true, detail: "log_line_prefix '\(prefix)' has %a")
        }
        if server?.logsAuthorizations == true {
            return CheckResult(aspect: "log correlation", instance: name, passed: true,
                               detail: "log_line_prefix '\(prefix)' has no %a; entries are attributed to their sessions by pid (log_connections = \(server?.logConnections ?? "on"))")
        }
        let quoted = LogLinePrefix.addingApplicationName(to: prefix).replacingOccurrences(of: "'", with: "''")
        return CheckResult(
            aspect: "log correlation", instance: name, passed: false,
            detail: "log_line_prefix '\(prefix)' has no %a and log_connections is off: no log entry can carry a correlation id",
            fix: "ALTER SYSTEM SET log_line_prefix = '\(quoted)'; SELECT pg_reload_conf();  or  ALTER SYSTEM SET log_connections = on; SELECT pg_reload_conf();")
    }

    /// An empty JSON object with the key: a listener that accepts the key refuses the body (400); one
    /// that does not answers 401/403. Nothing is stored either way.
    static func checkListener(_ configuration: AgentConfiguration, environment: AgentEnvironment) async -> CheckResult {
        let listener = configuration.listener
        guard listener.isConfigured else {
            return CheckResult(aspect: "listener", passed: false, detail: "[listener] url is empty: nothing would be sent",
                               fix: "set [listener] url = https://LISTENER:8443/ingest/postgres and api_key_file")
        }
        if listener.sendsKeyInClearText {
            return CheckResult(aspect: "listener", passed: false,
                               detail: "\(listener.url) is http:// to another host: the API key crosses the network in clear text",
                               fix: "use https:// (with ca_file for a private CA); allow_insecure_http = true only accepts the risk")
        }
        guard let key = environment.apiKey(configuration) else {
            return CheckResult(aspect: "listener", passed: false, detail: "no API key",
                               fix: "put the key in the file named by [listener] api_key_file (mode 0600), or set POSTGRES_AGENT_LISTENER_API_KEY")
        }
        var http = HTTPClient.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let caFile = listener.caFile { tls.additionalTrustRoots = [.file(caFile)] }
        http.tlsConfiguration = tls
        http.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
        let result = await post(client: client, url: listener.url, key: key)
        try? await client.shutdown()
        return result
    }

    private static func post(client: HTTPClient, url: String, key: Secret) async -> CheckResult {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key.value)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: "{}"))
        do {
            let response = try await client.execute(request, timeout: .seconds(5))
            _ = try? await response.body.collect(upTo: 1 << 16)
            switch response.status.code {
            case 401, 403:
                return CheckResult(aspect: "listener", passed: false, detail: "\(url) rejects the API key (\(response.status.code))",
                                   fix: "put the key the listener expects in api_key_file (or POSTGRES_AGENT_LISTENER_API_KEY)")
            case 200..<300, 400, 422:
                return CheckResult(aspect: "listener", passed: true, detail: "\(url) is reachable and accepts the key")
            default:
                return CheckResult(aspect: "listener", passed: false, detail: "\(url) answered \(response.status.code)",
                                   fix: "check that the url ends in /ingest/postgres and the listener is healthy")
            }
        } catch {
            return CheckResult(aspect: "listener", passed: false, detail: "\(url) is unreachable: \(error)",
                               fix: "check [listener] url, the network path and, for https, the certificate (ca_file)")
        }
    }
}
