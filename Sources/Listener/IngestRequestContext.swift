import Hummingbird
import HummingbirdCore
import NIOCore

/// The request context of the listener's routes: Hummingbird's own storage plus the connection the
/// request came on, so that a handler can close the connection of a client too slow to send its body
/// (``RequestDeadline``).
struct IngestRequestContext: RequestContext {
    /// Hummingbird's per-request storage (logger, route parameters).
    var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }
}
