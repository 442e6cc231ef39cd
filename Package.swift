// swift-tools-version:6.1
import PackageDescription

/// Strict settings for every target: the habits of the model codebases (see shared/STYLE.md §1).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "postgres-agent",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "postgres-agent", targets: ["postgres-agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Already in the graph through async-http-client; named for the listener's TLS and channel types.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // The registry and text exposition of /metrics (self-metrics and the snapshot's pg_* and node_* families).
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Only the reference listener uses it; its swift-configuration support is not needed.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        // /metrics behind the exporter-toolkit web configuration: its YAML file, and bcrypt for its users
        // (only HummingbirdBcrypt, a C bcrypt with a Swift face, is built); SHA-256 (already in the graph
        // through postgres-nio) keys the cache of verified credentials.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
    ],
    targets: [
        // The graph (docs/architecture.md): AgentSchema and SQLRedaction at the bottom; AgentConfiguration on
        // AgentSchema; Collectors, LogPipeline, Delivery and Listener on those; AgentDaemon on every library;
        // the executable on AgentDaemon and the libraries its commands use.

        /// The wire and on-disk formats: payloads, the log event, the JSON writer, gzip, state files.
        .target(name: "AgentSchema", dependencies: ["CZlib", "CBuildInfo"], swiftSettings: strictSettings),
        /// The commit the binary was built from (scripts/stamp-commit.sh), for `--version`.
        .target(name: "CBuildInfo"),
        /// The SQL lexer and the literal redactor.
        .target(name: "SQLRedaction", swiftSettings: strictSettings),
        /// The configuration: INI, environment overrides, conninfo and pgpass, secrets.
        .target(name: "AgentConfiguration", dependencies: ["AgentSchema"], swiftSettings: strictSettings),
        /// How the agent opens its SQLite files (the spool, the listener's store), on GRDB.
        .target(
            name: "AgentStorage",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        /// PostgreSQL collectors (SQL per major version), the /proc host collector, delta state.
        .target(
            name: "Collectors",
            dependencies: [
                "AgentSchema", "AgentConfiguration", "SQLRedaction", "AgentStorage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        /// Log pipeline: tailer (rotation, checkpoints), prefix compiler, stderr/csvlog/jsonlog parsers,
        /// classifier, the follower service.
        .target(
            name: "LogPipeline",
            dependencies: [
                "AgentSchema", "SQLRedaction",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        /// The system's zlib (Debian's zlib1g-dev), for gzip.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        /// Delivery: the SQLite spool (GRDB over Debian's libsqlite3), the transmitter, the breaker and backoff.
        .target(
            name: "Delivery",
            dependencies: [
                "AgentSchema", "AgentConfiguration", "AgentStorage", "LogPipeline",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        /// The reference listener: `POST /ingest/postgres` into a SQLite store, deduplicated by batch_id.
        .target(
            name: "Listener",
            dependencies: [
                "AgentSchema", "AgentConfiguration", "AgentStorage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        /// The daemon as a library: supervisor, configuration hub, schedulers, log sources, transmitter slot,
        /// watchdog and notifier, metrics, the JSON log handler, and the entry point that composes them.
        .target(
            name: "AgentDaemon",
            dependencies: [
                "AgentSchema", "AgentConfiguration", "SQLRedaction", "Collectors", "LogPipeline", "Delivery",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        /// The executable: the ArgumentParser commands only.
        .executableTarget(
            name: "postgres-agent",
            dependencies: [
                "AgentSchema", "AgentConfiguration", "SQLRedaction", "Collectors", "LogPipeline", "Delivery",
                "Listener", "AgentDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            exclude: ["symbol-order.txt"],
            swiftSettings: strictSettings,
            // lld with packed relative relocations (DT_RELR, glibc 2.36+): the static-stdlib binary's 3.8 MB of
            // RELA relocations become 53 KB, which the dynamic loader no longer reads at every start. Measured
            // (BENCHMARKS.md, footprint): 6.9 MB less resident at start, the peak 53.4 -> 46.6 MB idle.
            linkerSettings: [.unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"],
                                          .when(platforms: [.linux])),
                             // The functions the daemon runs, laid out together in the order of
                             // symbol-order.txt (scripts/make-symbol-order.sh; the objects are built with
                             // function sections by scripts/release-build.sh): its code then fits in a few MiB
                             // of resident pages instead of spreading over the 35 MB of `.text`. Measured in
                             // BENCHMARKS.md (footprint). A name the file lacks or no longer matches is only
                             // laid out where it would be anyway.
                             .unsafeFlags(["-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/postgres-agent/symbol-order.txt",
                                           "-Xlinker", "--no-warn-symbol-ordering"],
                                          .when(platforms: [.linux], configuration: .release))]
        ),
        /// Test support shared by the test targets (`package` access): the clusters the harness started.
        .target(
            name: "TestSupport",
            dependencies: ["AgentSchema"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "AgentSchemaTests", dependencies: ["AgentSchema", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "SQLRedactionTests", dependencies: ["SQLRedaction", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "AgentConfigurationTests",
            dependencies: ["AgentConfiguration", "AgentSchema", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CollectorsTests",
            dependencies: ["Collectors", "AgentSchema", "AgentConfiguration", "SQLRedaction", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LogPipelineTests",
            dependencies: [
                "LogPipeline", "AgentSchema", "AgentConfiguration", "SQLRedaction", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DeliveryTests",
            dependencies: ["Delivery", "AgentSchema", "AgentConfiguration", "LogPipeline", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ListenerTests",
            dependencies: ["Listener", "AgentSchema", "AgentConfiguration", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AgentDaemonTests",
            dependencies: [
                "AgentDaemon", "AgentSchema", "AgentConfiguration", "Delivery", "LogPipeline", "Collectors",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Collectors", "AgentSchema", "AgentConfiguration", "SQLRedaction", "LogPipeline", "Delivery",
                "Listener", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Tools"],
            swiftSettings: strictSettings
        ),
    ]
)

/// The snapshot-cycle benchmark (Benchmarks/run-snapshot-benchmark.sh): built only with ENABLE_BENCHMARKS set,
/// so the normal build and test runs never compile it.
if Context.environment["ENABLE_BENCHMARKS"] != nil {
    package.targets.append(.executableTarget(name: "SpoolBenchmark", dependencies: ["Delivery", "AgentSchema"], path: "Benchmarks/SpoolBenchmark", swiftSettings: strictSettings))
    package.targets.append(.executableTarget(name: "LogParseBenchmark", dependencies: ["LogPipeline", "AgentSchema", "AgentConfiguration", "SQLRedaction"], path: "Benchmarks/LogParseBenchmark", swiftSettings: strictSettings))
    package.targets.append(.executableTarget(name: "SnapshotBenchmark", dependencies: ["Collectors", "AgentSchema", "AgentConfiguration", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")], path: "Benchmarks/SnapshotBenchmark", swiftSettings: strictSettings))
}
