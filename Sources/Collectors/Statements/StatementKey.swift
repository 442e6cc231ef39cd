/// Identifies one `pg_stat_statements` entry, as the extension does.
package struct StatementKey: Hashable, Sendable, Codable {
    package var userid: Int64
    package var dbid: Int64
    package var queryid: Int64
    package var toplevel: Bool

    package init(userid: Int64, dbid: Int64, queryid: Int64, toplevel: Bool) {
        self.userid = userid
        self.dbid = dbid
        self.queryid = queryid
        self.toplevel = toplevel
    }
}
