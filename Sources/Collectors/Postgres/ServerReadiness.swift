import Foundation
package import AgentSchema
package import Logging
package import PostgresNIO

/// What `postgres-agent check` asks a server, in one round trip: who the agent is there, whether it
/// may read the statistics (`pg_monitor`), the state of pg_stat_statements, and the application names
/// of the client sessions (for the correlation check).
package struct ServerReadiness: Sendable, Equatable {
    package var user: String
    package var serverVersion: String
    package var isSuperuser: Bool
    package var isMonitor: Bool
    /// `shared_preload_libraries`; nil when the role may not read it (it needs pg_read_all_settings,
    /// which pg_monitor includes).
    package var preloadLibraries: String?
    /// `pg_stat_statements`' version in the connected database; nil when not created there.
    package var statementsExtensionVersion: String?
    /// Application names of the other client sessions.
    package var clientApplicationNames: [String]

    package init(user: String, serverVersion: String, isSuperuser: Bool, isMonitor: Bool, preloadLibraries: String?,
                 statementsExtensionVersion: String?, clientApplicationNames: [String]) {
        self.user = user
        self.serverVersion = serverVersion
        self.isSuperuser = isSuperuser
        self.isMonitor = isMonitor
        self.preloadLibraries = preloadLibraries
        self.statementsExtensionVersion = statementsExtensionVersion
        self.clientApplicationNames = clientApplicationNames
    }

    package static func fetch(client: PostgresClient, logger: Logger) async throws -> ServerReadiness {
        let row = try await client.oneRow("""
            SELECT current_user::text AS usr,
                   current_setting('server_version') AS version,
                   (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
                   pg_has_role(current_user, 'pg_monitor', 'member') AS monitor,
                   CASE WHEN pg_has_role(current_user, 'pg_read_all_settings', 'member')
                        THEN current_setting('shared_preload_libraries') END AS preload,
                   (SELECT extversion FROM pg_extension WHERE extname = 'pg_stat_statements') AS pgss,
                   (SELECT coalesce(array_agg(coalesce(application_name, '')), '{}') FROM pg_stat_activity
                     WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()) AS apps
            """, what: "readiness", logger: logger)
        return ServerReadiness(
            user: try row.value("usr") ?? "", serverVersion: try row.value("version") ?? "",
            isSuperuser: try row.value("superuser") ?? false, isMonitor: try row.value("monitor") ?? false,
            preloadLibraries: try row.value("preload"), statementsExtensionVersion: try row.value("pgss"),
            clientApplicationNames: try row.value("apps", as: [String].self) ?? [])
    }

    /// The check lines for this server: privileges, pg_stat_statements, correlation.
    /// - Parameter agentApplicationName: the agent's own sessions' name, left out of the correlation share.
    package func checks(instance: String, database: String, correlation: CorrelationExtractor,
                        agentApplicationName: String = "bitville-monitor") -> [CheckResult] {
        var results: [CheckResult] = []
        if isSuperuser {
            results.append(CheckResult(aspect: "privileges", instance: instance, passed: true,
                                       detail: "\(user) is a superuser (pg_monitor is enough; a dedicated role is safer)"))
        } else if isMonitor {
            results.append(CheckResult(aspect: "privileges", instance: instance, passed: true, detail: "\(user) is a member of pg_monitor"))
        } else {
            results.append(CheckResult(
                aspect: "privileges", instance: instance, passed: false,
                detail: "\(user) is not a member of pg_monitor: other sessions' queries and pg_stat_statements are hidden",
                fix: "GRANT pg_monitor TO \(Self.quoteIdentifier(user));"))
        }
        guard let preloadLibraries else {
            results.append(CheckResult(
                aspect: "pg_stat_statements", instance: instance, passed: false,
                detail: "cannot tell: \(user) may not read shared_preload_libraries",
                fix: "GRANT pg_monitor TO \(Self.quoteIdentifier(user)); (it includes pg_read_all_settings)"))
            return results + [correlationCheck(instance: instance, correlation: correlation, agent: agentApplicationName)]
        }
        let preloaded = preloadLibraries.split(separator: ",")
            .contains { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) == "pg_stat_statements" }
        if !preloaded {
            let list = preloadLibraries.isEmpty ? "pg_stat_statements" : "\(preloadLibraries), pg_stat_statements"
            results.append(CheckResult(
                aspect: "pg_stat_statements", instance: instance, passed: false,
                detail: "not in shared_preload_libraries (now '\(preloadLibraries)')",
                fix: "in postgresql.conf: shared_preload_libraries = '\(list)', restart PostgreSQL, then in \(database): CREATE EXTENSION pg_stat_statements;"))
        } else if let version = statementsExtensionVersion {
            results.append(CheckResult(aspect: "pg_stat_statements", instance: instance, passed: true,
                                       detail: "preloaded, version \(version) in \(database)"))
        } else {
            results.append(CheckResult(
                aspect: "pg_stat_statements", instance: instance, passed: false,
                detail: "preloaded, but the extension is not created in \(database)",
                fix: "as a superuser in \(database): CREATE EXTENSION pg_stat_statements;"))
        }
        results.append(correlationCheck(instance: instance, correlation: correlation, agent: agentApplicationName))
        return results
    }

    private func correlationCheck(instance: String, correlation: CorrelationExtractor, agent: String) -> CheckResult {
        let names = clientApplicationNames.filter { $0 != agent }
        let correlated = names.filter { correlation.extract(from: $0) != nil }.count
        if names.isEmpty {
            return CheckResult(aspect: "correlation", instance: instance, passed: true,
                               detail: "no other client session right now: nothing to measure")
        } else if correlated == 0 {
            return CheckResult(
                aspect: "correlation", instance: instance, passed: false,
                detail: "none of \(names.count) client sessions carries a correlation id in application_name",
                fix: "have the application set application_name = 'bitville-<request id>'; if it does, a pooler such as PgBouncer is resetting application_name (let it pass the parameter through, e.g. track_extra_parameters = application_name)")
        } else {
            let share = Int((Double(correlated) / Double(names.count) * 100).rounded())
            return CheckResult(aspect: "correlation", instance: instance, passed: true,
                               detail: "\(correlated) of \(names.count) client sessions (\(share) %) carry a correlation id")
        }
    }

    static func quoteIdentifier(_ name: String) -> String {
        let plain = name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") } && !(name.first?.isNumber ?? true)
        return plain ? name : "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
