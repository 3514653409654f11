import Configuration
import Foundation
import NATSLink
import ScaleOut
import TickhubCore

/// How this process takes part in a scaled-out Tickhub (`role`, and NATS under `nats`): `all` is the one process
/// of old; `ingest` runs the providers while it leads and relays the feed over NATS; `edge` serves clients from
/// what arrives over NATS. Credentials come from the environment only (`NATS_USER`/`NATS_PASSWORD` or `NATS_TOKEN`).
struct ScaleOutSettings: Sendable {
    enum Role: String, Sendable, CaseIterable {
        case all, ingest, edge
    }

    var role: Role
    var url: String
    var subjects: RelaySubjects
    /// How long an edge's interest lease lasts; it renews every third of it.
    var leaseSeconds: Double
    /// The leader's lease: a standby takes over within about 4/3 of it after a leader dies.
    var leaderSeconds: Double
    /// This process's name on NATS, in the leader's key and as an edge's owner name at the ingest.
    var name: String
    var user: String?
    var password: String?
    var token: String?

    init(config: ConfigReader) throws {
        let roleName = config.string(forKey: "role", default: Role.all.rawValue)
        guard let role = Role(rawValue: roleName) else {
            throw InvalidSetting(key: "role") { "\($0) is \"\(roleName.prefix(32))\"; it must be all, ingest or edge" }
        }
        self.role = role
        let nats = config.scoped(to: "nats")
        do {
            url = nats.string(forKey: "url", default: "nats://127.0.0.1:4222")
            guard url.hasPrefix("nats://") || url.hasPrefix("tls://") else {
                throw InvalidSetting(key: "url") { [url] in "\($0) must be a nats:// or tls:// URL, not \"\(url.prefix(64))\"" }
            }
            let prefix = nats.string(forKey: "subjectPrefix", default: "tickhub")
            do { subjects = try RelaySubjects(prefix: prefix) } catch {
                throw InvalidSetting(key: "subjectPrefix") { "\($0): \(error.reason)" }
            }
            leaseSeconds = nats.double(forKey: "leaseSeconds", default: 10)
            guard (3...600).contains(leaseSeconds) else {
                throw InvalidSetting(key: "leaseSeconds") { [leaseSeconds] in "\($0) is \(leaseSeconds); it must be 3–600 (an edge renews every third of it)" }
            }
            leaderSeconds = nats.double(forKey: "leaderSeconds", default: 3)
            guard (1...60).contains(leaderSeconds) else {
                throw InvalidSetting(key: "leaderSeconds") { [leaderSeconds] in "\($0) is \(leaderSeconds); it must be 1–60" }
            }
            name = nats.string(forKey: "name", default: "")
            if name.isEmpty { name = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)" }
            guard name.utf8.count <= 256 else { throw InvalidSetting(key: "name") { "\($0) is longer than 256 bytes" } }
            user = nats.string(forKey: "user", isSecret: true, default: "").nilIfEmpty
            password = nats.string(forKey: "password", isSecret: true, default: "").nilIfEmpty
            token = nats.string(forKey: "token", isSecret: true, default: "").nilIfEmpty
        } catch let error as InvalidSetting {
            throw error.within("nats")
        }
    }

    /// The connection's options: never giving up on the server (a hub outlives its outages), quick to notice a loss.
    var options: NATSOptions {
        var options = NATSOptions(url: url, name: name, reconnectWait: .milliseconds(250), pingInterval: .seconds(2))
        options.user = user
        options.password = password
        options.token = token
        options.maxReconnect = -1
        options.retryOnFailedConnect = true
        return options
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
