import Foundation

/// The throwaway PostgreSQL clusters `scripts/test-clusters.sh up` started, read from the JSON file named
/// by `PGAGENT_TEST_CLUSTERS_FILE`. Integration tests run against every one of them; a missing file is a
/// failure, not a skip (the test command starts them).
package struct TestClusters: Decodable, Sendable {
    /// One running cluster.
    package struct Cluster: Decodable, Sendable, CustomTestStringConvertibleShim {
        package var name: String
        package var major: Int
        package var host: String
        package var port: Int
        package var socketDir: String
        package var dataDir: String
        package var logDir: String
        package var binDir: String
        package var preload: Bool

        enum CodingKeys: String, CodingKey {
            case name, major, host, port, preload
            case socketDir = "socket_dir", dataDir = "data_dir", logDir = "log_dir", binDir = "bin_dir"
        }

        package var testDescription: String { name }
    }

    package var monitorUser: String
    package var monitorPassword: String
    package var nomonitorUser: String
    package var superuser: String
    package var clusters: [Cluster]

    package init(monitorUser: String, monitorPassword: String, nomonitorUser: String, superuser: String,
                 clusters: [Cluster]) {
        self.monitorUser = monitorUser
        self.monitorPassword = monitorPassword
        self.nomonitorUser = nomonitorUser
        self.superuser = superuser
        self.clusters = clusters
    }

    enum CodingKeys: String, CodingKey {
        case monitorUser = "monitor_user", monitorPassword = "monitor_password"
        case nomonitorUser = "nomonitor_user", superuser, clusters
    }

    /// The majors every per-major test must run over: `PGAGENT_TEST_REQUIRED_MAJORS` (the test command sets
    /// it), else 14 through 18.
    package static func requiredMajors(environment: [String: String] = ProcessInfo.processInfo.environment) -> [Int] {
        let listed = environment["PGAGENT_TEST_REQUIRED_MAJORS"]?.split(separator: " ").compactMap { Int($0) } ?? []
        return listed.isEmpty ? Array(14...18) : listed
    }

    /// Loads the file the harness wrote and checks that it holds a preloaded cluster of every required
    /// major.
    ///
    /// - Throws: ``TestClustersError`` naming what is missing: the variable, the file, its layout, or the
    ///   majors.
    package static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws(TestClustersError)
        -> TestClusters {
        guard let path = environment["PGAGENT_TEST_CLUSTERS_FILE"], !path.isEmpty else {
            throw TestClustersError("PGAGENT_TEST_CLUSTERS_FILE is not set: run the suite through scripts/test.sh, "
                                    + "which starts PostgreSQL 14–18 and sets it")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TestClustersError("cannot read \(path) (PGAGENT_TEST_CLUSTERS_FILE): run scripts/test-clusters.sh up")
        }
        let clusters: TestClusters
        do {
            clusters = try JSONDecoder().decode(TestClusters.self, from: data)
        } catch {
            throw TestClustersError("\(path) does not decode as the harness's clusters file: \(error)")
        }
        let present = Set(clusters.clusters.filter(\.preload).map(\.major))
        let missing = requiredMajors(environment: environment).filter { !present.contains($0) }
        guard missing.isEmpty else {
            throw TestClustersError("\(path) has no running cluster with pg_stat_statements for PostgreSQL "
                                    + missing.map(String.init).joined(separator: ", ")
                                    + ": every per-major test must run over 14–18")
        }
        return clusters
    }

    /// An empty set, for test discovery when ``load(environment:)`` failed (the harness test reports why).
    package static let none = TestClusters(monitorUser: "", monitorPassword: "", nomonitorUser: "", superuser: "",
                                           clusters: [])

    /// Runs a command as the `postgres` OS user when we are root (initdb and postgres refuse root), and
    /// returns its exit status.
    package static func runAsPostgres(_ arguments: [String]) throws -> Int32 {
        let argv = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + arguments : arguments
        return try ChildProcess.run(argv).status
    }
}

/// Lets test names show the cluster name without TestSupport depending on Swift Testing.
package protocol CustomTestStringConvertibleShim {
    var testDescription: String { get }
}
