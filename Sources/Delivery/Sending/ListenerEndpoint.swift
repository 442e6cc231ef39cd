/// Where and how the transmitter sends: the listener's ingest URL, an extra trusted CA, and the deadline
/// of one POST (`[listener]` in the configuration).
package struct ListenerEndpoint: Sendable {
    /// The ingest URL.
    package var url: String
    /// An extra trusted CA certificate (PEM file).
    package var caFile: String?
    /// The deadline of one POST.
    package var timeout: Duration

    package init(url: String, caFile: String? = nil, timeout: Duration = .seconds(10)) {
        self.url = url
        self.caFile = caFile
        self.timeout = timeout
    }
}
