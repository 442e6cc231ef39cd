import AgentConfiguration
import Testing

@Suite struct SecretTests {
    private let secret = Secret("s3cr3t-XYZ")

    @Test func descriptionHidesTheValue() {
        #expect(self.secret.description == "****")
        #expect(String(describing: self.secret) == "****")
        #expect("\(self.secret)" == "****")
    }

    @Test func debugDescriptionHidesTheValue() {
        #expect(self.secret.debugDescription == "****")
        #expect(String(reflecting: self.secret) == "****")
    }

    @Test func dumpHidesTheValue() {
        var output = ""
        dump(self.secret, to: &output)
        #expect(!output.contains("s3cr3t"))
    }

    @Test func enclosingValuesHideTheValue() {
        struct Holder { var password: Secret; var optional: Secret? }
        let holder = Holder(password: self.secret, optional: self.secret)
        var dumped = ""
        dump(holder, to: &dumped)
        for text in [String(describing: holder), String(reflecting: holder), "\(holder)", "\([self.secret])", dumped] {
            #expect(!text.contains("s3cr3t"), "leaked in: \(text)")
        }
    }

    @Test func valueIsReadableDeliberately() {
        #expect(self.secret.value == "s3cr3t-XYZ")
    }

    @Test func equalityComparesValues() {
        #expect(Secret("a") == Secret("a"))
        #expect(Secret("a") != Secret("b"))
    }
}
