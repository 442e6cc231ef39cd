import Crypto
import Dispatch
import Foundation
import HummingbirdBcrypt
import Synchronization

/// Checks an `Authorization: Basic` header against `basic_auth_users` of the web configuration
/// (``MetricsWebConfig``), as the Prometheus exporters do.
///
/// bcrypt is slow by design (tens to hundreds of milliseconds per check), and a scraper sends the same
/// credentials every 10 to 60 s: a pair that passed is remembered by its SHA-256 (with the user's hash,
/// so a changed file does not keep an old password), never in clear. The checks run off the async
/// threads, at most ``maxConcurrentChecks`` at once: a client that floods the endpoint with wrong
/// passwords gets 429 answers rather than the agent's CPU. An unknown user is checked against a fixed
/// hash, so the answer's timing does not tell which user names exist.
package final class BasicAuthVerifier: Sendable {
    /// The outcome of one check.
    package enum Outcome: Sendable, Equatable {
        case accepted
        case rejected
        /// Too many checks running: try later.
        case busy
    }

    /// bcrypt checks that may run at once.
    static let maxConcurrentChecks = 2
    /// Verified pairs remembered at most (the set is emptied when full).
    static let cacheLimit = 64
    /// Checked for a user that does not exist (the hash of a random password at cost 10).
    static let decoy = "$2b$10$yRhlTUu05Z0PpBAm9R2CieiBE/e26HTulcoE6FMTCUafIVMJwOUmy"

    private let users: [String: String]
    private let verified = Mutex<Set<[UInt8]>>([])
    private let running = Mutex(0)

    package init(users: [String: String]) {
        self.users = users
    }

    /// Whether any user is configured (otherwise every request is let in).
    package var isEnabled: Bool { !users.isEmpty }

    /// Checks `authorization` (the header's value).
    package func check(authorization: String?) async -> Outcome {
        guard isEnabled else { return .accepted }
        guard let (user, password) = Self.credentials(authorization) else { return .rejected }
        let hash = users[user]
        let digest = Self.digest(user: user, password: password, hash: hash ?? "")
        if hash != nil, verified.withLock({ $0.contains(digest) }) { return .accepted }
        guard running.withLock({ (count: inout Int) -> Bool in
            guard count < Self.maxConcurrentChecks else { return false }
            count += 1
            return true
        }) else { return .busy }
        let matches = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            DispatchQueue.global().async {
                // bcrypt's C code knows $2a$ and $2b$; $2y$ (htpasswd's) is the same algorithm.
                let stored = hash.map { $0.hasPrefix("$2y$") ? "$2b$" + $0.dropFirst(4) : $0 } ?? Self.decoy
                continuation.resume(returning: Bcrypt.verify(password, hash: stored))
            }
        }
        running.withLock { $0 -= 1 }
        guard matches, hash != nil else { return .rejected }
        verified.withLock { set in
            if set.count >= Self.cacheLimit { set.removeAll() }
            set.insert(digest)
        }
        return .accepted
    }

    /// The user and password of a `Basic` header, or nil.
    static func credentials(_ header: String?) -> (String, String)? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    private static func digest(user: String, password: String, hash: String) -> [UInt8] {
        var hasher = SHA256()
        for part in [user, password, hash] {
            hasher.update(data: Array(part.utf8))
            hasher.update(data: [0])
        }
        return Array(hasher.finalize())
    }
}
