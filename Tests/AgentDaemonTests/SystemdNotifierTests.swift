import AgentDaemon
import Foundation
import TestSupport
import Testing

@Suite struct SystemdNotifierTests {
    static func bind(_ path: String) throws -> Int32 {
        try #require(DatagramSocket.bind(path))
    }

    static func receive(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count < 0 ? nil : String(decoding: buffer.prefix(count), as: UTF8.self)
    }

    @Test func sendsEachMessageAsOneDatagramToTheSocket() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("notify")
        let fd = try Self.bind(path)
        defer { close(fd) }
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"])
        #expect(notifier.watchdogInterval == .seconds(4))
        #expect(notifier.notify("READY=1\nSTATUS=collecting 2 servers"))
        #expect(notifier.notify("WATCHDOG=1"))
        #expect(Self.receive(fd) == "READY=1\nSTATUS=collecting 2 servers")
        #expect(Self.receive(fd) == "WATCHDOG=1")
    }

    @Test func withoutASocketItIsSilentAndAWatchdogForAnotherPidIsIgnored() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(notifier.socketPath == nil)
        #expect(notifier.notify("READY=1"))
        #expect(notifier.watchdogInterval == nil)
        let other = SystemdNotifier(environment: ["WATCHDOG_USEC": "1000", "WATCHDOG_PID": "\(getpid() + 1)"])
        #expect(other.watchdogInterval == nil)
        let unreachable = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/notify"])
        #expect(!unreachable.notify("READY=1"))
    }
}

extension SystemdNotifierTests {
    @Test func aReceiverThatStoppedReadingNeverBlocksTheSender() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("notify")
        let fd = try Self.bind(path)
        defer { close(fd) }
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path])
        // Far more than the socket's queue holds; without MSG_DONTWAIT the loop would hang here.
        let sent = (0..<500).map { notifier.notify("WATCHDOG=1 \($0)") }
        #expect(sent.first == true)
        #expect(sent.contains(false), "past the queue, messages are dropped, not waited for")
        #expect(Self.receive(fd) == "WATCHDOG=1 0")
    }
}
