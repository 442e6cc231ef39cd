/// The agent's whole configuration, one property per INI section.
///
/// Every setting has a default in its declaration, so `AgentConfiguration()` is a complete,
/// working configuration. ``load(path:environment:readFile:)`` builds one from the INI file
/// (`/etc/bitville/postgres-agent.ini`) and the environment, with this precedence:
///
/// **environment > file > defaults**
///
/// ## Environment variables
/// - `POSTGRES_AGENT_<SECTION>_<KEY>` overrides `key` in `[section]`, both upper-cased:
///   `POSTGRES_AGENT_AGENT_INTERVAL_SECONDS`, `POSTGRES_AGENT_LOGS_PATH`.
/// - `POSTGRES_AGENT_POSTGRES_<KEY>` applies to the instance named `default` (a plain `[postgres]`
///   section, or no section at all). `POSTGRES_AGENT_POSTGRES_<NAME>_<KEY>` applies to
///   `[postgres:NAME]`, with `NAME` upper-cased and `-` written as `_`; it can only name instances the
///   file declares.
/// - Secrets: `POSTGRES_AGENT_POSTGRES_PASSWORD` (or `POSTGRES_AGENT_POSTGRES_<NAME>_PASSWORD`) and
///   `POSTGRES_AGENT_LISTENER_API_KEY`. They beat `password_file` and `api_key_file`.
/// - Any other `POSTGRES_AGENT_*` variable is an error (`unknownKey`, naming the variable), so a typo
///   cannot go unnoticed. A variable set to the empty string counts as set.
///
/// ## Secrets
/// The INI file never holds secrets: `password` and `api_key` keys are refused. Passwords and API
/// keys come from files (`password_file`, `api_key_file`, read at load time) or from the
/// environment, and are held as ``Secret``s. ``PostgresInstance/conninfo`` is a ``Secret`` too,
/// because a conninfo string may carry a password.
package struct AgentConfiguration: Sendable, Equatable {
    /// `[agent]`: project id, snapshot interval, state directory, log level.
    package var agent = Agent()
    /// `[postgres]` or `[postgres:NAME]`: the monitored servers, in file order. Never empty: without
    /// any section there is one instance, `default`, with default settings.
    package var postgres: [PostgresInstance] = [PostgresInstance()]
    /// `[collectors]`: limits and deadlines of the collectors.
    package var collectors = Collectors()
    /// `[logs]`: which PostgreSQL log to tail and how to parse it.
    package var logs = Logs()
    /// `[listener]`: where payloads go and how the agent authenticates.
    package var listener = Listener()
    /// `[spool]`: size limits of the on-disk spool.
    package var spool = Spool()
    /// `[privacy]`: what is removed from query texts before they leave the host.
    package var privacy = Privacy()
    /// `[activity]`: active-session history.
    package var activity = Activity()
    /// `[correlation]`: how request ids are found in queries and application names.
    package var correlation = Correlation()
    /// `[metrics]`: the agent's own Prometheus endpoint.
    package var metrics = Metrics()

    /// The default configuration: every setting at its documented default.
    package init() {}
}
