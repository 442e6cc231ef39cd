import Foundation
import TestSupport
import Testing

/// The harness itself: every per-major test runs over the clusters it started, so a missing major would
/// make them run over fewer servers, or none, and still pass. This test fails instead, naming what is
/// missing.
@Suite struct HarnessTests {
    @Test func theHarnessStartedEveryRequiredMajor() throws {
        let clusters = try Harness.loaded.get()
        let majors = Set(clusters.clusters.filter(\.preload).map(\.major))
        #expect(TestClusters.requiredMajors().allSatisfy(majors.contains))
        #expect(Harness.preloaded.map(\.major) == TestClusters.requiredMajors().sorted())
    }

    @Test func aClustersFileWithoutAMajorIsRefusedByName() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("clusters.json")
        let json = #"{"monitor_user":"m","monitor_password":"p","nomonitor_user":"n","superuser":"s","clusters":["#
            + [15, 16, 17].map { #"{"name":"pg\#($0)","major":\#($0),"host":"127.0.0.1","port":1,"socket_dir":"/s","data_dir":"/d","log_dir":"/l","bin_dir":"/b","preload":true}"# }
            .joined(separator: ",") + "]}"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(throws: TestClustersError.self) {
            try TestClusters.load(environment: ["PGAGENT_TEST_CLUSTERS_FILE": path])
        }
        #expect(error.description.contains("PostgreSQL 14, 18"))
        #expect(throws: TestClustersError.self) { try TestClusters.load(environment: [:]) }
        try "{".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: TestClustersError.self) { try TestClusters.load(environment: ["PGAGENT_TEST_CLUSTERS_FILE": path]) }
    }
}
