import AgentConfiguration
import Testing

@Suite struct ListenAddressTests {
    @Test func parsesIPv4NamesAndBracketedIPv6() {
        #expect(ListenAddress(parsing: "127.0.0.1:9188") == ListenAddress(host: "127.0.0.1", port: 9188))
        #expect(ListenAddress(parsing: "localhost:8443") == ListenAddress(host: "localhost", port: 8443))
        #expect(ListenAddress(parsing: "[::1]:9188") == ListenAddress(host: "::1", port: 9188))
        #expect(ListenAddress(parsing: "[::1]:9188")?.description == "[::1]:9188")
        #expect(ListenAddress(parsing: "0.0.0.0:1")?.hostForURL == "0.0.0.0")
    }

    @Test func refusesMalformedAddressesAndPortZeroUnlessAllowed() {
        for text in ["", "9188", ":9188", "host:", "host:65536", "host:-1", "::1:9188", "[::1]9188", "[::1", "a b:1", "host:+80", "host:٣"] {
            #expect(ListenAddress(parsing: text) == nil, "\(text)")
        }
        #expect(ListenAddress(parsing: "127.0.0.1:0") == nil)
        #expect(ListenAddress(parsing: "127.0.0.1:0", allowAnyPort: true)?.port == 0)
    }
}
