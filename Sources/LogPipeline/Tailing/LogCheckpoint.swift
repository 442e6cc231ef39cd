/// Where tailing stands: enough to resume after a restart with no entry lost and none repeated.
///
/// Saved with the events it covers (a JSON lines sink writes both; the spool will commit both in one
/// transaction). The offset is where re-reading must start: the first line of the oldest entry still
/// open, or the end of the last complete line. Entries that began after that offset but were already
/// emitted (a stderr entry completes when its pid logs again, so entries of busy pids overtake an idle
/// one) are listed in ``emittedOffsets`` and skipped when they come round again.
package struct LogCheckpoint: Codable, Sendable, Equatable {
    /// The file's name when the checkpoint was taken (it may have been rotated away since).
    package var path: String
    /// Which file, independent of its name.
    package var identity: LogFileIdentity
    /// The byte offset to resume reading at.
    package var offset: Int64
    /// FNV-1a of up to 64 bytes just before ``offset``: on resume, a file rewritten in place (truncated
    /// and written again past the offset) no longer has them and is read from its start.
    package var precedingHash: UInt64
    /// How many bytes ``precedingHash`` covers.
    package var precedingLength: Int
    /// Source offsets (at or after ``offset``) of entries already emitted.
    package var emittedOffsets: [Int64]
    /// The systemd journal: the `__CURSOR` of the entry a restart resumes after (``path`` is then
    /// `journal`, ``offset`` that entry's `__REALTIME_TIMESTAMP`); nil for files.
    package var cursor: String?

    /// How many bytes before the offset are checked on resume.
    package static let precedingCapacity = 64

    /// What a sink hands the tailer when its stored checkpoint cannot be read (damaged, or a layout
    /// this version does not know): the file tailer then reads the current file from its start and
    /// counts a lost checkpoint, instead of starting at the end and skipping, uncounted, what came since.
    package static let unreadable = LogCheckpoint(path: "", identity: LogFileIdentity(device: 0, inode: 0, headLength: 0, headHash: 0),
                                                 offset: -1, precedingHash: 0, precedingLength: 0, emittedOffsets: [])

    /// True for ``unreadable``.
    package var isUnreadable: Bool { offset < 0 }

    package init(path: String, identity: LogFileIdentity, offset: Int64, precedingHash: UInt64,
                 precedingLength: Int, emittedOffsets: [Int64]) {
        self.path = path
        self.identity = identity
        self.offset = offset
        self.precedingHash = precedingHash
        self.precedingLength = precedingLength
        self.emittedOffsets = emittedOffsets
    }

    /// A checkpoint in the systemd journal: resume after `cursor`, whose entry was written at `realtime`
    /// (microseconds), skipping entries that begin at `emitted`.
    package init(journalCursor cursor: String, realtime: Int64, emitted: [Int64]) {
        self.init(path: "journal", identity: LogFileIdentity(device: 0, inode: 0, headLength: 0, headHash: 0), offset: realtime,
                  precedingHash: 0, precedingLength: 0, emittedOffsets: emitted)
        self.cursor = cursor
    }

    /// Whether `file` still holds, just before ``offset``, the bytes it held when this was taken.
    package func precedingBytesMatch(_ file: any LogFile) -> Bool {
        guard precedingLength > 0 else { return true }
        let bytes = file.bytes(at: offset - Int64(precedingLength), count: precedingLength)
        return bytes.count == precedingLength && LogFileIdentity.hash(bytes) == precedingHash
    }
}
