/// Which kind of relation a row of schema delta state belongs to; the raw value is what the state file stores.
package enum RelationKind: Int, Sendable {
    /// A user table (`pg_stat_user_tables`, `pg_statio_user_tables`).
    case table = 0
    /// A user index (`pg_stat_user_indexes`, `pg_statio_user_indexes`).
    case index = 1
}
