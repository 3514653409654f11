import Foundation
import TickhubCore

/// A delivery target as people may read it (the log, `GET /api/alerts/deliveries`, the database): a webhook's URL
/// without its credentials, query or fragment, which are where tokens hide; a Telegram chat id (the bot's token is
/// in the Bot API's path and never leaves the request).
enum DeliveryAddress {
    static func describe(_ target: AlertTarget) -> (type: String, address: String) {
        switch target {
        case let .webhook(url): ("webhook", redacted(url: url))
        case let .telegram(chatId): ("telegram", chatId)
        }
    }

    /// `scheme://host[:port]/path`, with `?…` where a query or fragment was; user and password dropped.
    static func redacted(url text: String) -> String {
        guard let components = URLComponents(string: text), let scheme = components.scheme, let host = components.host else {
            return "(not a URL)"
        }
        var shown = scheme.lowercased() + "://" + host
        if let port = components.port { shown += ":\(port)" }
        shown += components.percentEncodedPath
        if components.percentEncodedQuery != nil || components.percentEncodedFragment != nil { shown += "?…" }
        return shown
    }

    /// `text` with every occurrence of `secret` (a token, however an error echoed it) replaced, and cut to `limit`
    /// characters with control characters made spaces, so it is fit for a log line or a JSON field.
    static func scrub(_ text: String, secret: String?, limit: Int = 200) -> String {
        var cleaned = text
        if let secret, !secret.isEmpty { cleaned = cleaned.replacingOccurrences(of: secret, with: "<token>") }
        cleaned = String(cleaned.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
        return cleaned.count > limit ? String(cleaned.prefix(limit)) + "…" : cleaned
    }
}
