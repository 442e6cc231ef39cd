package import AgentSchema

// Over 400 lines: the rotation decisions below share the tailer's private state (the current file, its
// identity, what is finished), and spreading them over files would make that state visible module-wide.

/// Follows a log source through rotations and turns its bytes into complete entries, with checkpoints
/// that let a restart resume with nothing lost and nothing repeated.
///
/// It is a plain state machine: ``poll(now:budget:)`` reads what is new (at most `budget` bytes, so a
/// slow consumer simply polls less often and reading pauses: that is the backpressure), notices
/// rotations, and returns the entries it completed together with the checkpoint that covers them. The
/// caller stores both atomically, then polls again. Time comes in as a monotonic `now`, so tests drive the
/// quiet period without sleeping.
///
/// How files change under it:
/// - **Rename** (the server's own rotation, logrotate without copytruncate): the open descriptor keeps
///   the old file; once a newer file exists, the old one is read to its end, its open entries are
///   completed, and the next file (the oldest newer one, so several rotations between two polls are all
///   read) is read from its start.
/// - **copytruncate**: the file shrinks below the read offset, or its first bytes change. What had not
///   been read yet is read from the copy (a sibling whose first bytes match and which is long enough),
///   then the file is read again from its start; the NUL run a writer without `O_APPEND` leaves is skipped.
/// - **Deletion and re-creation, inode reuse**: a file is known by device, inode and a hash of its first
///   bytes (``LogFileIdentity``), and on resume also by the 64 bytes before the saved offset; a file that
///   fails these checks is read from its start.
package struct LogTailer {
    /// How to read.
    package struct Options: Sendable {
        /// The format; `.auto` detects it per file.
        package var format: LogFormat = .auto
        /// The `log_line_prefix` of stderr files; nil detects it from the file's first lines, falling
        /// back to PostgreSQL's default.
        package var prefix: LogLinePrefix?
        /// The server's `log_timezone`, with which local times become UTC; nil: only times whose zone says
        /// its offset are converted (see ``LogTimestampReader``).
        package var timeZone: TimeZoneRules?
        /// syslog files: `syslog_ident`, the program name of the server's lines (other programs' are foreign).
        package var syslogIdent = "postgres"
        /// syslog files: the zone the syslog daemon writes RFC 3164 times in (the host's); nil reads them as
        /// UTC. Only used for entries whose prefix has no time.
        package var hostTimeZone: TimeZoneRules?
        /// The longest entry kept whole; longer ones are cut and marked truncated.
        package var maximumEntryBytes = 1 << 20
        /// Bytes per read.
        package var readSize = 256 << 10
        /// After this long without new bytes, stderr entries still waiting for lines are complete.
        package var quietPeriod: Duration = .seconds(1)
        /// Without a checkpoint, start at the end of the current file (a new install does not ship the
        /// history) rather than at its start.
        package var startAtEnd = true

        package init() {}
    }

    /// What happened so far.
    package struct Statistics: Sendable, Equatable {
        /// Files opened for reading.
        package var filesOpened = 0
        /// Moves to a newer file after a rename or a new file in the directory.
        package var rotations = 0
        /// Files found truncated or rewritten in place (copytruncate).
        package var truncations = 0
        /// Remainders read from a copytruncate copy.
        package var copiesRead = 0
        /// Resumes whose checkpointed file was gone: reading began at the current file's start.
        package var lostCheckpoints = 0
        /// Entries dropped because a previous run had already emitted them.
        package var skippedDuplicates = 0
        /// Failed reads.
        package var readErrors = 0
        /// Bytes read.
        package var bytesRead: Int64 = 0
        /// Parser counters over all files read.
        package var parse = LogEntryParser.Statistics()

        package init() {}
    }

    /// What one poll produced.
    package struct Batch {
        /// Entries completed, roughly in file order.
        package var events: [LogEvent]
        /// The checkpoint to store together with ``events``; nil when no file is being read.
        package var checkpoint: LogCheckpoint?
        /// True when everything written so far has been read (poll again after a pause); false when the
        /// budget ran out (poll again soon).
        package var reachedEnd: Bool
    }

    private struct Current {
        var handle: any LogFile
        var identity: LogFileIdentity
        var parser: LogEntryParser
        var readOffset: Int64
        /// Where reading began: a checkpoint never points before it (a parser that has consumed nothing
        /// yet says 0).
        var startOffset: Int64
        /// Source offsets at or after the resume offset of entries already emitted.
        var emitted: Set<Int64>
        var lastDataAt: Duration
        /// The file's modification time when it was opened.
        var openedModified: Int64
        /// The hash of the bytes before the last checkpoint's offset.
        var preceding: (offset: Int64, hash: UInt64, length: Int)?
    }

    /// Which files to read.
    package let scanner: LogSourceScanner
    /// How to read them.
    package let options: Options
    /// The counters so far.
    package private(set) var statistics = Statistics()

    private var current: Current?
    private var resume: LogCheckpoint?
    /// The checkpoint at the end of the file finished last: stands in while the next file is empty.
    private var lastFinished: LogCheckpoint?
    /// When the search for the checkpointed file began (it is given up after ``resumeSearchPeriod``).
    private var resumeSearchStartedAt: Duration?
    private static let resumeSearchPeriod: Duration = .seconds(2)
    /// Files read to their end, newest last (bounded), so a rotation never leads back to one.
    private var finished: [LogFileIdentity] = []
    private var buffer: [UInt8]
    private var finishedParse = LogEntryParser.Statistics()

    /// A tailer for `scanner`'s files that resumes at `checkpoint` when given one.
    package init(scanner: LogSourceScanner, options: Options, checkpoint: LogCheckpoint?) {
        self.scanner = scanner
        self.options = options
        self.resume = checkpoint
        self.buffer = [UInt8](repeating: 0, count: max(options.readSize, 4_096))
    }

    /// The file being read, if any.
    package var currentPath: String? { current?.handle.path }

    /// How far reading is behind the current file's end, bytes (one `fstat`; 0 without a file). Newer
    /// rotated files not yet reached are not counted.
    package var lagBytes: Int64 {
        guard let current, let status = current.handle.status() else { return 0 }
        return max(0, status.size - current.readOffset)
    }

    /// How the last start went: the file and offset reading began at, and why there.
    package private(set) var lastStart: String?

    /// Reads what is new, at most about `budget` bytes.
    package mutating func poll(now: Duration, budget: Int = 4 << 20) -> Batch {
        var events: [LogEvent] = []
        if current == nil { openFirst(now: now) }
        guard current != nil else { return Batch(events: [], checkpoint: resume, reachedEnd: true) }
        // A file truncated and written again since the last poll must be noticed before reading on at the
        // old offset, or the new content would be read from its middle.
        _ = handleRewrite(now: now, into: &events)
        var reachedEnd = false
        var read = 0
        while true {
            let count = readChunk(now: now, into: &events)
            if count > 0 {
                read += count
                if read >= budget { break }
                continue
            }
            if count == 0, handleRewrite(now: now, into: &events) { continue }
            if count == 0, switchToNewerFile(now: now, into: &events) { continue }
            reachedEnd = true
            break
        }
        if reachedEnd, current!.parser.hasOpenEntries, now - current!.lastDataAt >= options.quietPeriod {
            emit(current!.parser.completeIdleEntries(), into: &events)
        }
        statistics.parse = finishedParse + current!.parser.statistics
        return Batch(events: events, checkpoint: checkpoint(), reachedEnd: reachedEnd)
    }

    // MARK: - Reading

    /// Reads one chunk of the current file into the parser: the byte count, 0 at the end of the file (or
    /// when the file was rewritten under the read), -1 on an error.
    private mutating func readChunk(now: Duration, into events: inout [LogEvent]) -> Int {
        let offset = current!.readOffset
        guard let count = read(current!.handle, at: offset) else { return -1 }
        guard count > 0 else { return 0 }
        guard readIsOfTheFileChecked(at: offset) else { return 0 }
        if current!.identity.headLength == 0, offset == 0 {
            // Known from here on by the bytes just read: read again, they could already be another content's.
            current!.identity = LogFileIdentity(device: current!.identity.device, inode: current!.identity.inode,
                                                head: buffer.prefix(count))
        }
        consume(count, at: offset, into: &events)
        current!.readOffset += Int64(count)
        current!.lastDataAt = now
        return count
    }

    /// Whether the bytes just read at `offset` are of the content the rotation checks found. A copytruncate
    /// between those checks and the read would have given the new content from the old offset, and its
    /// copy would never be read. Truncation is final, so a head that still matches after the read proves
    /// the bytes were read before it; a file opened empty has no head yet, and its first read is checked
    /// for a copy that appeared meanwhile instead. A failed check drops the bytes unread: the rotation
    /// checks that follow see the truncation and read the copy.
    private mutating func readIsOfTheFileChecked(at offset: Int64) -> Bool {
        let identity = current!.identity
        if identity.headLength > 0 { return identity.headMatches(current!.handle) }
        guard offset == 0, case .copy = unseenCopy(since: current!.openedModified, of: current!.handle) else { return true }
        return false
    }

    /// Reads one chunk of `file` at `offset` into the buffer: the byte count (0 at its end), nil on an error.
    private mutating func read(_ file: any LogFile, at offset: Int64) -> Int? {
        guard let count = buffer.withUnsafeMutableBytes({ file.read(into: $0, at: offset) }) else {
            statistics.readErrors += 1
            return nil
        }
        return count
    }

    /// Parses the first `count` bytes of the buffer, read at `offset`.
    private mutating func consume(_ count: Int, at offset: Int64, into events: inout [LogEvent]) {
        statistics.bytesRead += Int64(count)
        let chunk = buffer
        let produced = chunk.withUnsafeBufferPointer {
            current!.parser.consume(UnsafeBufferPointer(rebasing: $0[..<count]), offset: offset)
        }
        emit(produced, into: &events)
    }

    /// Adds entries of the current file that a previous run has not emitted yet.
    private mutating func emit(_ produced: [LogEvent], into events: inout [LogEvent]) {
        for event in produced {
            let offset = event.source?.offset ?? -1
            if current!.emitted.insert(offset).inserted {
                events.append(event)
            } else {
                statistics.skippedDuplicates += 1
            }
        }
    }

    /// The checkpoint after what has been emitted so far. While the current file is still empty it names
    /// nothing by content (a copytruncate could replace it unseen), so the finished file before it stays
    /// the checkpoint: a restart then walks forward from there, copies included.
    private mutating func checkpoint() -> LogCheckpoint {
        if current!.identity.headLength == 0, current!.readOffset == 0, let lastFinished {
            return lastFinished
        }
        return currentCheckpoint()
    }

    private mutating func currentCheckpoint() -> LogCheckpoint {
        let offset = max(current!.parser.resumeOffset, current!.startOffset)
        // A checkpoint must name its file by as many first bytes as the offset allows: an identity taken
        // while the file was still empty would match any later content of the same inode.
        let identity = current!.identity
        if Int64(identity.headLength) < current!.readOffset, let grown = identity.grown(current!.handle) {
            current!.identity = grown
        }
        if !current!.emitted.isEmpty { current!.emitted = current!.emitted.filter { $0 >= offset } }
        // The bytes before the offset are read only when the offset moved: an idle poll costs no I/O.
        if current!.preceding?.offset != offset {
            let length = Int(min(Int64(LogCheckpoint.precedingCapacity), offset))
            let bytes = current!.handle.bytes(at: offset - Int64(length), count: length)
            current!.preceding = (offset, LogFileIdentity.hash(bytes), bytes.count)
        }
        let preceding = current!.preceding!
        return LogCheckpoint(path: current!.handle.path, identity: current!.identity, offset: offset,
                             precedingHash: preceding.hash, precedingLength: preceding.length,
                             emittedOffsets: current!.emitted.sorted())
    }

    // MARK: - Opening

    private mutating func openFirst(now: Duration) {
        let candidates = scanner.candidates(includeRotated: resume != nil)
        guard !candidates.isEmpty else { return }
        if let saved = resume, saved.isUnreadable {
            resume = nil
            statistics.lostCheckpoints += 1
            guard let start = scanner.current(among: candidates), let handle = scanner.fileSystem.open(start.path) else { return }
            open(handle, at: 0, emitted: [], now: now)
            lastStart = "the stored checkpoint could not be read: reading \(handle.path) from its start"
            return
        }
        if let saved = resume {
            resume = nil
            if let (handle, identity, offset) = locate(saved, among: candidates) {
                open(handle, identity: identity, at: offset, emitted: Set(saved.emittedOffsets), now: now)
                lastStart = "resumed \(handle.path) at \(offset) (checkpoint \(saved.path) at \(saved.offset), "
                    + "inode \(saved.identity.inode), head \(saved.identity.headLength) bytes, "
                    + "\(saved.emittedOffsets.count) entries after it already emitted)"
                return
            }
            // A rotation racing the directory listing can hide the file for an instant: look again on the
            // next polls before giving the checkpoint up.
            let since = resumeSearchStartedAt ?? now
            resumeSearchStartedAt = since
            if now - since < Self.resumeSearchPeriod {
                resume = saved
                return
            }
            statistics.lostCheckpoints += 1
            lastStart = "checkpointed file \(saved.path) (inode \(saved.identity.inode)) not found: reading the current file from its start"
            if let start = scanner.current(among: scanner.candidates()), let handle = scanner.fileSystem.open(start.path) {
                open(handle, at: 0, emitted: [], now: now)
            }
            return
        }
        guard let start = scanner.current(among: candidates), let handle = scanner.fileSystem.open(start.path) else { return }
        let offset = options.startAtEnd ? Self.lastLineEnd(of: handle) : 0
        open(handle, at: offset, emitted: [], now: now)
        lastStart = "no checkpoint: reading \(handle.path) from \(offset)"
    }

    /// The checkpointed file and where to resume in it: the same inode with the same first bytes, else a
    /// copy with the same first bytes that is long enough (copytruncate while the agent was down). The
    /// identity is the one just checked (nil: none yet): one read later would miss a copytruncate between.
    private func locate(_ saved: LogCheckpoint, among candidates: [LogSourceScanner.Candidate])
        -> (any LogFile, LogFileIdentity?, Int64)? {
        let identity = saved.identity
        for candidate in candidates
        where candidate.status.device == identity.device && candidate.status.inode == identity.inode {
            guard let handle = scanner.open(candidate), let status = handle.status() else { continue }
            let intact = status.size >= saved.offset && saved.precedingBytesMatch(handle)
            // The head is checked after the bytes before the offset: a copytruncate between the two
            // then shows as a lost head, and the rest is read from the copy below. A head that still
            // matches means the file was intact when its offset was checked (truncation is final), or
            // was rewritten in place under the same first bytes, read from its start.
            guard identity.matches(handle, status: status) else { continue }
            // Without head bytes the inode alone proves little: a truncated file with a copy beside it
            // is the copytruncate case, read from the copy below.
            if identity.headLength == 0, !intact, saved.offset > 0 { continue }
            return intact ? (handle, identity.headLength > 0 ? identity : nil, saved.offset) : (handle, nil, 0)
        }
        for candidate in candidates.reversed()
        where candidate.status.size >= saved.offset && (saved.offset > 0 || identity.headLength > 0) {
            guard let handle = scanner.open(candidate), identity.headLength == 0 || identity.headMatches(handle),
                  saved.precedingBytesMatch(handle) else { continue }
            let copied = identity.headLength == 0 ? nil
                : LogFileIdentity(device: candidate.status.device, inode: candidate.status.inode,
                                  headLength: identity.headLength, headHash: identity.headHash)
            return (handle, copied, saved.offset)
        }
        return nil
    }

    /// Makes `handle` the current file. `identity` is its identity as the caller checked it: taken here,
    /// it could already describe what a copytruncate since left in the file, and its copy would be missed.
    private mutating func open(_ handle: any LogFile, identity known: LogFileIdentity? = nil, at offset: Int64,
                               emitted: Set<Int64>, now: Duration) {
        let identity = known ?? LogFileIdentity(of: handle)
            ?? LogFileIdentity(device: 0, inode: 0, headLength: 0, headHash: LogFileIdentity.hash([]))
        current = Current(handle: handle, identity: identity, parser: makeParser(for: handle), readOffset: offset, startOffset: offset,
                          emitted: emitted, lastDataAt: now, openedModified: handle.status()?.modified ?? 0)
        statistics.filesOpened += 1
    }

    private func makeParser(for handle: any LogFile) -> LogEntryParser {
        let name = handle.path
        var format = options.format
        var prefix = options.prefix
        if format == .auto { format = LogFormatDetector.format(name: name, head: handle.bytes(at: 0, count: 4_096)) }
        if format.hasPrefix, prefix == nil {
            prefix = LogFormatDetector.prefix(for: LogFormatDetector.prefixSample(handle.bytes(at: 0, count: 64 << 10), format: format,
                                                                                  syslogIdent: options.syslogIdent))
        }
        return LogEntryParser(format: format, prefix: prefix, fileName: name,
                              maximumEntryBytes: options.maximumEntryBytes, timeZone: options.timeZone,
                              syslogIdent: options.syslogIdent, hostTimeZone: options.hostTimeZone,
                              referenceTime: (handle.status()?.modified ?? 0) / 1_000_000_000)
    }

    /// The end of the last complete line (where a tailer that skips the history starts).
    private static func lastLineEnd(of handle: any LogFile) -> Int64 {
        guard let size = handle.status()?.size, size > 0 else { return 0 }
        var end = size
        while end > 0 {
            let start = max(0, end - 65_536)
            let bytes = handle.bytes(at: start, count: Int(end - start))
            if let newline = bytes.lastIndex(of: 0x0A) { return start + Int64(newline) + 1 }
            end = start
        }
        return 0
    }

    // MARK: - Rotation

    /// At the end of the file: was it truncated or rewritten in place? Then read what the copy holds,
    /// complete its entries and start over at 0.
    private mutating func handleRewrite(now: Duration, into events: inout [LogEvent]) -> Bool {
        let handle = current!.handle
        guard let status = handle.status() else { return false }
        let identity = current!.identity
        let shrunk = status.size < current!.readOffset
        let rewritten = !shrunk && identity.headLength > 0 && !identity.headMatches(handle)
        guard shrunk || rewritten else {
            if identity.headLength == 0, current!.readOffset == 0, status.size > 0 {
                switch unseenCopy(since: current!.openedModified, of: handle) {
                case let .copy(copy):
                    // The file was empty when opened; since then it was filled and copytruncated before
                    // we looked (a copy of it appeared beside it). Read the copy first, then this file.
                    statistics.truncations += 1
                    finishCurrent(into: &events)
                    open(copy, at: 0, emitted: [], now: now)
                    return true
                case let .stillHere(head):
                    // Copied but not truncated yet: the file is read itself, known by the head it shares
                    // with the copy, so that the truncation to come is noticed and the copy found.
                    current!.identity = head
                    return false
                case .none:
                    break
                }
            }
            if status.size > Int64(identity.headLength), let grown = identity.grown(handle) {
                current!.identity = grown
            }
            return false
        }
        statistics.truncations += 1
        // What the file holds now is known before the copy is looked for: a second copytruncate meanwhile
        // then shows as a rewrite of this content, and its copy is found too.
        let fresh = LogFileIdentity(of: handle)
        if let copy = findCopy(of: identity, readUpTo: current!.readOffset, excluding: status) {
            statistics.copiesRead += 1
            var offset = current!.readOffset
            // The copy is complete: copytruncate truncates only once it is made.
            while let count = read(copy, at: offset), count > 0 {
                consume(count, at: offset, into: &events)
                offset += Int64(count)
            }
            if let copied = LogFileIdentity(of: copy) { remember(copied) }
        }
        finishCurrent(into: &events)
        open(handle, identity: fresh, at: 0, emitted: [], now: now)
        return true
    }

    /// A sibling with the same first bytes, at least `offset` long: the copy copytruncate made.
    private func findCopy(of identity: LogFileIdentity, readUpTo offset: Int64, excluding status: FileStatus) -> (any LogFile)? {
        guard identity.headLength > 0 else { return nil }
        for candidate in scanner.candidates(includeRotated: true).reversed()
        where !candidate.status.isSameFile(as: status) && candidate.status.size >= offset {
            if let handle = scanner.open(candidate), identity.headMatches(handle) { return handle }
        }
        return nil
    }

    /// At the end of the file: does a newer file exist? Then this one is complete: read its last bytes,
    /// complete its entries and move to the oldest newer file.
    private mutating func switchToNewerFile(now: Duration, into events: inout [LogEvent]) -> Bool {
        let handle = current!.handle
        guard let status = handle.status() else { return false }
        if let configured = scanner.configuredFile {
            // The cheap check first: a single file is rotated only when its name leads to another file.
            guard let named = scanner.fileSystem.status(of: configured), !named.isSameFile(as: status) else { return false }
        }
        let candidates = scanner.candidates(includeRotated: scanner.configuredFile != nil)
        let target: LogSourceScanner.Candidate?
        if let configured = scanner.configuredFile {
            // A single file: rotated when its name now leads to another file.
            target = candidates.first { $0.path == configured }
        } else {
            target = scanner.current(among: candidates)
        }
        guard let target, !target.status.isSameFile(as: status) else { return false }
        // Whatever was written before the switch.
        while readChunk(now: now, into: &events) > 0 {}
        let lastModified = handle.status()?.modified ?? status.modified
        // The oldest newer file first: several rotations between two polls are all read, in order.
        func oldestNewer(in candidates: [LogSourceScanner.Candidate]) -> LogSourceScanner.Candidate? {
            candidates.first { candidate in
                !candidate.status.isSameFile(as: status) && candidate.status.modified >= lastModified
                    && !isFinished(candidate)
            }
        }
        var next = oldestNewer(in: candidates) ?? target
        var nextHandle: (any LogFile)?
        var nextIdentity: LogFileIdentity?
        for _ in 0..<4 {
            guard let handle = scanner.fileSystem.open(next.path) else { return false }
            nextHandle = handle
            // A rotation between the listing above and this open would skip what was listed: after a
            // copytruncate it sits in a new copy, after a rename under another name. So list again now
            // that the file is open and known by its head, and take the oldest unread file of that
            // listing if it is another. A copytruncate after the head was read shows as a rewrite.
            nextIdentity = LogFileIdentity(of: handle)
            guard let opened = handle.status(), let oldest = oldestNewer(in: scanner.candidates(includeRotated: scanner.configuredFile != nil)),
                  !oldest.status.isSameFile(as: opened) else { break }
            next = oldest
        }
        guard let nextHandle else { return false }
        finishCurrent(into: &events)
        statistics.rotations += 1
        open(nextHandle, identity: nextIdentity, at: 0, emitted: [], now: now)
        return true
    }

    private mutating func finishCurrent(into events: inout [LogEvent]) {
        emit(current!.parser.finish(), into: &events)
        lastFinished = currentCheckpoint()
        finishedParse = finishedParse + current!.parser.statistics
        remember(current!.identity)
    }

    /// What ``unseenCopy(since:of:)`` found.
    private enum UnseenCopy {
        /// No sibling that could be a copy.
        case none
        /// A copy of what the file held before it was truncated.
        case copy(any LogFile)
        /// A copy (perhaps still being made) of what the file still holds; the file's identity by the
        /// head it shares with it.
        case stillHere(LogFileIdentity)
    }

    /// For a single configured file opened while empty: a sibling written since `modified` that is not
    /// finished and can be a copy of it (any, while the name still leads to the file; else one written
    /// before the file's last write that the name does not lead to). Whether the file was truncated since
    /// tells its content.
    private func unseenCopy(since modified: Int64, of file: any LogFile) -> UnseenCopy {
        guard let configured = scanner.configuredFile, let status = file.status() else { return .none }
        let copies = scanner.candidates(includeRotated: true).filter { candidate in
            !candidate.status.isSameFile(as: status) && candidate.status.modified >= modified && candidate.status.size > 0
                && !isFinished(candidate)
        }
        // The name is looked at after the listing. Names never lead back to an older file, so a name that
        // still leads here was here for the whole listing, and any new sibling is a copy. Renamed away
        // before or during the listing, the file keeps its content, and the files the server wrote after
        // it (the one under the name, and any renamed since) are no copies of it: a copy of its earlier
        // content was made before its last write.
        let named = scanner.fileSystem.status(of: configured)
        let here = named?.isSameFile(as: status) == true
        let first = here ? copies.first : copies.first { candidate in
            candidate.status.modified <= status.modified && named.map { !candidate.status.isSameFile(as: $0) } ?? true
        }
        guard let candidate = first, let copy = scanner.open(candidate), let copyStatus = copy.status(), copyStatus.size > 0
        else { return .none }
        // copytruncate truncates only once the copy is complete, and until then the file only grows: if
        // the file still begins and continues as the copy does, it is the copy's original, untruncated.
        if let now = file.status(), now.size >= copyStatus.size {
            let window = Int(min(copyStatus.size, Int64(LogFileIdentity.headCapacity)))
            let head = file.bytes(at: 0, count: window)
            let tail = copyStatus.size - Int64(window)
            if head == copy.bytes(at: 0, count: window),
               tail == 0 || file.bytes(at: tail, count: window) == copy.bytes(at: tail, count: window) {
                return .stillHere(LogFileIdentity(device: status.device, inode: status.inode, head: head))
            }
        }
        return .copy(copy)
    }

    private mutating func remember(_ identity: LogFileIdentity) {
        // An identity without head bytes would match any later content of its inode.
        guard identity.headLength > 0 else { return }
        finished.append(identity)
        if finished.count > 64 { finished.removeFirst(finished.count - 64) }
    }

    private func isFinished(_ candidate: LogSourceScanner.Candidate) -> Bool {
        let matching = finished.filter { $0.device == candidate.status.device && $0.inode == candidate.status.inode }
        guard !matching.isEmpty, let handle = scanner.open(candidate) else { return false }
        return matching.contains { $0.matches(handle, status: candidate.status) }
    }
}
