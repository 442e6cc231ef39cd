/// What the statements collector remembers between cycles, and across agent restarts (state directory).
package struct StatementsState: Sendable, Codable, Equatable {
    /// The server the counters belong to: system identifier, or host/port when that is not readable.
    package var serverIdentity: String
    /// `pg_postmaster_start_time()`, epoch seconds.
    package var startTime: Double
    /// `pg_stat_statements_info.stats_reset`, epoch seconds.
    package var statsReset: Double?
    /// `pg_stat_statements_info.dealloc`.
    package var dealloc: Int64?
    /// When the sample was taken (server clock).
    package var sampleTime: Double
    /// Counters of every entry seen, as of `sampleTime`.
    package var entries: [StatementKey: StatementCounters]
    /// The server's fingerprint of each entry's key and `calls`/`plans` (`hash_record_extended`): sent back
    /// next cycle so the server returns only entries whose fingerprint changed.
    package var fingerprints: [StatementKey: Int64]

    package init(serverIdentity: String, startTime: Double, statsReset: Double?, dealloc: Int64?,
                 sampleTime: Double, entries: [StatementKey: StatementCounters],
                 fingerprints: [StatementKey: Int64] = [:]) {
        self.fingerprints = fingerprints
        self.serverIdentity = serverIdentity
        self.startTime = startTime
        self.statsReset = statsReset
        self.dealloc = dealloc
        self.sampleTime = sampleTime
        self.entries = entries
    }

    // Dictionaries with struct keys encode as flat arrays; we keep that but name it.
    enum CodingKeys: String, CodingKey {
        case serverIdentity = "server_identity", startTime = "start_time", statsReset = "stats_reset"
        case dealloc, sampleTime = "sample_time", entries
    }

    struct Entry: Codable {
        var k: StatementKey
        var c: StatementCounters
        var f: Int64?
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        serverIdentity = try container.decode(String.self, forKey: .serverIdentity)
        startTime = try container.decode(Double.self, forKey: .startTime)
        statsReset = try container.decodeIfPresent(Double.self, forKey: .statsReset)
        dealloc = try container.decodeIfPresent(Int64.self, forKey: .dealloc)
        sampleTime = try container.decode(Double.self, forKey: .sampleTime)
        let list = try container.decode([Entry].self, forKey: .entries)
        entries = Dictionary(list.map { ($0.k, $0.c) }, uniquingKeysWith: { a, _ in a })
        fingerprints = Dictionary(list.compactMap { e in e.f.map { (e.k, $0) } }, uniquingKeysWith: { a, _ in a })
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(serverIdentity, forKey: .serverIdentity)
        try container.encode(startTime, forKey: .startTime)
        try container.encodeIfPresent(statsReset, forKey: .statsReset)
        try container.encodeIfPresent(dealloc, forKey: .dealloc)
        try container.encode(sampleTime, forKey: .sampleTime)
        try container.encode(entries.map { Entry(k: $0.key, c: $0.value, f: fingerprints[$0.key]) }, forKey: .entries)
    }
}
