import AgentSchema
import Collectors
import Testing

@Suite struct ServerReadinessTests {
    static func readiness(monitor: Bool = true, superuser: Bool = false, preload: String? = "pg_stat_statements",
                          version: String? = "1.10", apps: [String] = []) -> ServerReadiness {
        ServerReadiness(user: "bitville_monitor", serverVersion: "17.2", isSuperuser: superuser, isMonitor: monitor,
                        preloadLibraries: preload, statementsExtensionVersion: version, clientApplicationNames: apps)
    }

    func checks(_ readiness: ServerReadiness) throws -> [CheckResult] {
        readiness.checks(instance: "main", database: "app", correlation: try CorrelationExtractor())
    }

    @Test func aReadyServerPassesEveryAspect() throws {
        let results = try checks(Self.readiness(apps: ["bitville-4f2a9c1e", "bitville-99", "psql"]))
        #expect(results.map(\.aspect) == ["privileges", "pg_stat_statements", "correlation"])
        #expect(results.allSatisfy { $0.passed })
        #expect(results[2].detail == "2 of 3 client sessions (67 %) carry a correlation id")
        #expect(results[1].rendered == "✓ pg_stat_statements [main]: preloaded, version 1.10 in app")
    }

    @Test func eachFailureCarriesItsExactFix() throws {
        let results = try checks(Self.readiness(monitor: false, preload: "auto_explain", version: nil, apps: ["php-fpm", "php-fpm"]))
        #expect(!results.contains { $0.passed })
        #expect(results[0].fix == "GRANT pg_monitor TO bitville_monitor;")
        #expect(results[1].fix?.hasPrefix("in postgresql.conf: shared_preload_libraries = 'auto_explain, pg_stat_statements'") == true)
        #expect(results[2].fix?.contains("PgBouncer") == true)
        #expect(results[0].rendered.hasSuffix("\n    fix: GRANT pg_monitor TO bitville_monitor;"))
        let notCreated = try checks(Self.readiness(version: nil))[1]
        #expect(notCreated.fix == "as a superuser in app: CREATE EXTENSION pg_stat_statements;")
    }

    @Test func aRoleThatMayNotReadTheSettingsIsToldToGetPgMonitor() throws {
        let results = try checks(Self.readiness(monitor: false, preload: nil))
        #expect(results.map(\.aspect) == ["privileges", "pg_stat_statements", "correlation"])
        #expect(results[1].detail == "cannot tell: bitville_monitor may not read shared_preload_libraries")
        #expect(results[1].fix?.hasPrefix("GRANT pg_monitor TO bitville_monitor;") == true)
    }

    @Test func oddRoleNamesAreQuotedInTheGrant() throws {
        var readiness = Self.readiness(monitor: false)
        readiness.user = "Agent \"x\""
        #expect(try checks(readiness)[0].fix == #"GRANT pg_monitor TO "Agent ""x""";"#)
    }
}
