@testable import LogPipeline
import Testing

/// `[logs] path = auto`: which rule finds the log on each kind of install, and the fix when none does.
@Suite struct LogLocatorTests {
    static func server(destination: String = "stderr", collector: Bool = false, directory: String? = nil,
                       cluster: String = "", config: String? = nil) -> LogLocator.Server {
        LogLocator.Server(logDestination: destination, loggingCollector: collector, logDirectory: directory,
                          clusterName: cluster, configFile: config)
    }

    @Test func theLoggingCollectorsDirectoryWins() throws {
        let locator = LogLocator(fileSystem: MemoryLogFileSystem(), readLink: { _ in nil })
        let found = try locator.locate(Self.server(destination: "stderr,csvlog", collector: true, directory: "/data/log",
                                                   cluster: "15/main")).get()
        #expect(found.path == "/data/log")
        #expect(found.rule.hasPrefix("logging collector"))
    }

    @Test func debiansPgCtlClusterFileIsFoundByClusterName() throws {
        let files = MemoryLogFileSystem()
        files.append("2026-12-07 10:00:00.000 UTC [1] LOG:  database system is ready\n", to: "/var/log/postgresql/postgresql-15-main.log")
        let locator = LogLocator(fileSystem: files, readLink: { _ in nil })
        let found = try locator.locate(Self.server(cluster: "15/main", config: "/etc/postgresql/15/main/postgresql.conf")).get()
        #expect(found.path == "/var/log/postgresql/postgresql-15-main.log")
        #expect(found.rule == "Debian pg_ctlcluster (cluster_name 15/main)")
        // The `log` link of the configuration directory (pg_createcluster -l) goes first.
        files.append("x\n", to: "/srv/pg/main.log")
        let linked = LogLocator(fileSystem: files, readLink: { $0 == "/etc/postgresql/15/main/log" ? "/srv/pg/main.log" : nil })
        #expect(try linked.locate(Self.server(cluster: "15/main", config: "/etc/postgresql/15/main/postgresql.conf")).get().path == "/srv/pg/main.log")
    }

    @Test func syslogIsTheSystemsFile() throws {
        let files = MemoryLogFileSystem()
        files.append("Dec  7 05:55:42 db-1 postgres[1]: [1-1] LOG:  ready\n", to: "/var/log/messages")
        let found = try LogLocator(fileSystem: files, readLink: { _ in nil }).locate(Self.server(destination: "syslog")).get()
        #expect(found.path == "/var/log/messages" && found.rule.hasPrefix("syslog"))
        // No syslog file, but journald's directory: the journal.
        let journal = MemoryLogFileSystem()
        journal.append("x\n", to: "/run/log/journal/abc/system.journal")
        let inJournal = try LogLocator(fileSystem: journal, readLink: { _ in nil }).locate(Self.server(destination: "stderr,syslog")).get()
        #expect(inJournal.path == "journal" && inJournal.rule.contains("systemd journal"))
    }

    @Test func noRuleGivesTheSettingToChange() {
        let locator = LogLocator(fileSystem: MemoryLogFileSystem(), readLink: { _ in nil })
        // Debian's name, but no such file (another host's cluster, or a custom pg_ctl.conf).
        guard case let .failure(stderr) = locator.locate(Self.server(cluster: "15/main")) else {
            Issue.record("found a file that does not exist"); return
        }
        #expect(stderr.fix.contains("logging_collector = on"))
        guard case let .failure(syslog) = locator.locate(Self.server(destination: "syslog", cluster: "")) else {
            Issue.record("no syslog file exists"); return
        }
        #expect(syslog.reason.contains("/var/log/syslog") && syslog.fix.contains("format = syslog"))
        guard case let .failure(unreadable) = locator.locate(Self.server(collector: true)) else {
            Issue.record("no directory to name"); return
        }
        #expect(unreadable.fix.contains("pg_monitor"))
    }

    @Test func checksFixAddsTheApplicationNameToThePrefix() {
        #expect(LogLinePrefix.addingApplicationName(to: "%m [%p] %q%u@%d ") == "%m [%p] %q%u@%d app=%a ")
        #expect(LogLinePrefix.addingApplicationName(to: "%m [%p] ") == "%m [%p] app=%a ")
        #expect(LogLinePrefix.addingApplicationName(to: "%t") == "%t app=%a ")
        #expect(LogLinePrefix.addingApplicationName(to: "") == "app=%a ")
        #expect(LogLinePrefix.addingApplicationName(to: "%%d %m ") == "%%d %m app=%a ")
        // What it makes compiles.
        #expect((try? LogLinePrefix(LogLinePrefix.addingApplicationName(to: "%m [%p] %q%u@%d "))) != nil)
    }
}
