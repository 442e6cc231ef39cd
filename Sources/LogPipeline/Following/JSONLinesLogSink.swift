package import AgentSchema
import Foundation

/// A ``LogBatchSink`` that appends events as JSON lines to a file (`postgres-agent logs tail`).
///
/// Atomicity without a database: the events are appended and flushed to disk first, then the checkpoint
/// is saved (atomically, with `rename`) together with the output file's length. On start the output is
/// cut back to the saved length, so events written after the last saved checkpoint (a crash between the
/// two steps) disappear and are written again by the resumed tailer: none lost, none twice.
///
/// The output is only ever cut back to what a checkpoint says it held. Without a checkpoint (a new state
/// directory, or one that was removed) a non-empty output is kept and appended to; an output shorter than
/// its checkpoint says (someone cut it) is appended to where it ends, never extended with zeros.
package actor JSONLinesLogSink: LogBatchSink {
    /// What the state file holds.
    struct State: Codable, Sendable {
        var checkpoint: LogCheckpoint
        var outputLength: Int64
    }

    /// Why the sink could not be opened or written.
    package struct SinkError: Error, Sendable, CustomStringConvertible {
        /// The file involved.
        package var path: String
        /// What failed.
        package var reason: String
        package var description: String { "log output \(path): \(reason)" }
    }

    private let outputPath: String
    private let stateFile: StateFile<State>
    private let descriptor: Int32
    private var length: Int64
    private let saved: LogCheckpoint?

    /// Opens (or creates) `outputPath` and the checkpoint in `stateDirectory`, cutting the output back to
    /// what the checkpoint covers.
    package init(outputPath: String, stateDirectory: String) throws {
        self.outputPath = outputPath
        self.stateFile = StateFile(directory: stateDirectory, name: "logs-tail-checkpoint.json")
        let state = stateFile.load()
        let descriptor = open(outputPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw SinkError(path: outputPath, reason: String(cString: strerror(errno))) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            close(descriptor)
            throw SinkError(path: outputPath, reason: String(cString: strerror(errno)))
        }
        let size = Int64(status.st_size)
        var length = size
        if let saved = state?.outputLength, saved < size {
            // Events written after the last checkpoint: the resumed tailer writes them again.
            guard ftruncate(descriptor, off_t(saved)) == 0 else {
                close(descriptor)
                throw SinkError(path: outputPath, reason: "cannot cut back to the checkpoint: \(String(cString: strerror(errno)))")
            }
            length = saved
        }
        self.descriptor = descriptor
        self.length = length
        self.saved = state?.checkpoint
    }

    deinit { close(descriptor) }

    package func lastCheckpoint() -> LogCheckpoint? { saved }

    package func commit(_ events: [LogEvent], checkpoint: LogCheckpoint) throws {
        if !events.isEmpty {
            var json = JSONWriter(capacity: 512 * events.count)
            for event in events {
                event.write(to: &json)
                json.newline()
            }
            let data = json.bytes
            let ok = data.withUnsafeBytes { buffer -> Bool in
                var written = 0
                while written < buffer.count {
                    let count = pwrite(descriptor, buffer.baseAddress! + written, buffer.count - written,
                                       off_t(length + Int64(written)))
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { return false }
                    written += count
                }
                return fsync(descriptor) == 0
            }
            guard ok else { throw SinkError(path: outputPath, reason: String(cString: strerror(errno))) }
            length += Int64(data.count)
        }
        try stateFile.save(State(checkpoint: checkpoint, outputLength: length))
    }
}
