/// Who a log file is, independent of its name: device and inode, plus a hash of its first bytes.
///
/// The inode alone is not enough: a file system reuses the inode of a deleted file at once, so a log that
/// was deleted and re-created can come back with the same number and different content. The hash of the
/// head tells them apart, and it also recognises a `copytruncate` copy (another inode, same head).
package struct LogFileIdentity: Codable, Sendable, Hashable {
    /// How many leading bytes the head hash covers at most.
    package static let headCapacity = 1_024

    /// The device the file lives on.
    package var device: UInt64
    /// The inode number.
    package var inode: UInt64
    /// How many leading bytes ``headHash`` covers (less than ``headCapacity`` while the file is young).
    package var headLength: Int
    /// FNV-1a of the first ``headLength`` bytes.
    package var headHash: UInt64

    package init(device: UInt64, inode: UInt64, headLength: Int, headHash: UInt64) {
        self.device = device
        self.inode = inode
        self.headLength = headLength
        self.headHash = headHash
    }

    /// The identity of the file at `device` and `inode` whose first bytes are `head` (at most
    /// ``headCapacity`` of them are kept).
    package init(device: UInt64, inode: UInt64, head: some Collection<UInt8>) {
        let kept = head.prefix(Self.headCapacity)
        self.init(device: device, inode: inode, headLength: kept.count, headHash: Self.hash(kept))
    }

    /// Reads the identity of an open file.
    package init?(of file: any LogFile) {
        guard let status = file.status() else { return nil }
        self.init(device: status.device, inode: status.inode, head: file.bytes(at: 0, count: Self.headCapacity))
    }

    /// Whether `file` starts with the same bytes this identity hashed (an empty head matches nothing, so
    /// two empty files are never taken for one another by content).
    package func headMatches(_ file: any LogFile) -> Bool {
        guard headLength > 0 else { return false }
        let head = file.bytes(at: 0, count: headLength)
        return head.count == headLength && Self.hash(head) == headHash
    }

    /// This identity with a longer head, when `file` is this inode, has grown, and still begins with the
    /// bytes hashed so far; nil otherwise. Taken from the file as it is now without that check, the head
    /// of a file truncated meanwhile would describe the new content, and the truncation would go unseen.
    package func grown(_ file: any LogFile) -> LogFileIdentity? {
        guard headLength < Self.headCapacity, let status = file.status(), status.device == device, status.inode == inode
        else { return nil }
        let head = file.bytes(at: 0, count: Self.headCapacity)
        guard head.count > headLength, Self.hash(head.prefix(headLength)) == headHash else { return nil }
        return LogFileIdentity(device: device, inode: inode, head: head)
    }

    /// Whether `file` is this file: the same inode with the same head, or (for a young file whose head
    /// was shorter) the same inode whose first bytes still hash the same.
    package func matches(_ file: any LogFile, status: FileStatus) -> Bool {
        guard status.device == device, status.inode == inode else { return false }
        return headLength == 0 || headMatches(file)
    }

    /// FNV-1a, 64 bits: stable across runs and platforms, which Swift's `Hasher` is not.
    package static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
