package import Foundation

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

    enum CodingKeys: String, CodingKey {
        case monitorUser = "monitor_user", monitorPassword = "monitor_password"
        case nomonitorUser = "nomonitor_user", superuser, clusters
    }

    /// Loads the file the harness wrote; nil when the variable is not set.
    package static func load(environment: [String: String] = ProcessInfo.processInfo.environment) -> TestClusters? {
        guard let path = environment["PGAGENT_TEST_CLUSTERS_FILE"],
              let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(TestClusters.self, from: data)
    }

    /// The clusters with pg_stat_statements preloaded: the ones every collector test runs against.
    package static var preloaded: [Cluster] {
        (load()?.clusters ?? []).filter(\.preload).sorted { $0.major < $1.major }
    }

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
