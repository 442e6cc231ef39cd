import Foundation

/// The reason a listener gives in the body of a refusal: the reference listener's JSON object
/// `{"error": CODE, "message": TEXT}` (docs/payloads.md, "Delivery"). Anything else (a proxy's HTML
/// page, an empty body) gives no reason, so a 400 from it does not condemn the payload.
package enum ListenerReason {
    /// The longest reason kept, characters.
    static let maxLength = 200

    /// `CODE: TEXT` from a JSON error body, capped and reduced to printable characters; nil when the
    /// body is not such an object.
    package static func parse(_ body: [UInt8]) -> String? {
        guard body.first == UInt8(ascii: "{"),
              let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let code = object["error"] as? String, !code.isEmpty else { return nil }
        let message = object["message"] as? String
        let text = message.map { "\(code): \($0)" } ?? code
        let printable = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
        return String(printable.prefix(maxLength))
    }
}
