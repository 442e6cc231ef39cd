/// Locks held or awaited in one database in one mode (`pg_locks`, mode in lower case as
/// postgres_exporter writes it): for `pg_locks_count` on `/metrics`. Not part of the payload (see
/// ``SnapshotPayload/lockCounts``).
package struct LockCount: Sendable, Equatable {
    package var datname: String
    package var mode: String
    package var count: Int

    package init(datname: String, mode: String, count: Int) {
        self.datname = datname
        self.mode = mode
        self.count = count
    }
}
