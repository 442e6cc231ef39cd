/// Why the harness's clusters cannot be used: the message names what is missing.
package struct TestClustersError: Error, CustomStringConvertible, Sendable {
    package var description: String

    package init(_ description: String) {
        self.description = description
    }
}
