internal import ClientPortal
import Foundation
import NIOCore
import NIOWebSocket

/// One WebSocket client of the gateway: authorized by the session cookie or its first message, with its
/// market-data subscriptions and the field values it was last sent.
final class StreamClient {
    struct Subscription {
        var fields: [MarketDataField]
        /// When its `smd` came: it streams until `subscriptionSeconds` after that.
        var since: NIODeadline
        /// What the client holds: only fields that differ from these go out.
        var sent: [MarketDataField: String] = [:]
    }

    let id: Int
    let channel: Channel
    var authorized = false
    var subscriptions: [Int: Subscription] = [:]

    init(id: Int, channel: Channel) {
        self.id = id
        self.channel = channel
    }

    func send(_ text: String) {
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(string: text)), promise: nil)
    }

    /// The session token an `api` cookie carries: `api={"session":"…"}` (percent-encoded or not), or the bare token.
    static func session(fromCookies header: String) -> String? {
        for cookie in header.split(separator: ";") {
            let trimmed = cookie.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("api=") else { continue }
            var value = String(trimmed.dropFirst(4))
            value = value.removingPercentEncoding ?? value
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            if value.hasPrefix("{") { return GatewayReply.object(from: value)?["session"] as? String }
            return value.isEmpty ? nil : value
        }
        return nil
    }
}

extension ClientPortalDesk {
    /// A WebSocket was opened; `cookieSession` is the token its `api` cookie carried, if any.
    func openStream(_ channel: Channel, cookieSession: String?) -> StreamClient {
        let client = StreamClient(id: nextStreamID, channel: channel)
        nextStreamID += 1
        streams[client.id] = client
        if let cookieSession {
            authorize(client, token: cookieSession)
        } else {
            client.send(StreamEncoding.waitingForSession)
        }
        return client
    }

    func closeStream(_ client: StreamClient) {
        streams[client.id] = nil
        refreshSteppedSymbols()
    }

    func closeStreams() {
        for client in streams.values { client.channel.close(promise: nil) }
        streams = [:]
        refreshSteppedSymbols()
    }

    func broadcast(_ text: String) {
        for client in streams.values where client.authorized {
            client.send(text)
            counters.streamMessages += 1
        }
    }

    func broadcastStatus() { broadcast(StreamEncoding.authStatus(authStatus())) }

    private func authorize(_ client: StreamClient, token: String) {
        guard loggedIn, token == sessionToken else {
            client.send(GatewayReply.json(["topic": "system", "error": "session token not recognized: take it from POST /v1/api/tickle"]))
            return
        }
        client.authorized = true
        client.send(StreamEncoding.connected(user: configuration.userName))
        client.send(StreamEncoding.authStatus(authStatus()))
    }

    /// A text message from a client: `{"session":…}`, `smd+<conid>+{"fields":[…]}`, `umd+<conid>+{}`, `tic`.
    func received(_ text: String, from client: StreamClient) {
        // A `tic` keeps the session alive as a request does.
        lastRequest = .now()
        guard let command = StreamCommand.parse(text) else {
            client.send(GatewayReply.json(["topic": "system", "error": "unreadable message: \(text.prefix(80))"]))
            return
        }
        if case let .session(token) = command {
            authorize(client, token: token)
            return
        }
        guard client.authorized else {
            client.send(GatewayReply.json(["topic": "system", "error": "not authenticated: send {\"session\":\"<token from /tickle>\"} first"]))
            return
        }
        switch command {
        case .keepAlive:
            client.send(GatewayReply.json(["topic": "tic", "alive": true, "lastAccessed": Int(nowMilliseconds)]))
        case let .subscribe(conid, fields):
            guard engine.listingsByConId[conid] != nil else {
                client.send(GatewayReply.json(["topic": StreamTopic.marketData(conid), "error": "no contract with conid \(conid)"]))
                return
            }
            // A new subscription of the same conid replaces its fields; everything asked for goes out afresh.
            let wanted = fields.isEmpty ? SnapshotFields.defaultFields : fields
            client.subscriptions[conid] = StreamClient.Subscription(
                fields: Array(wanted.prefix(MarketDataField.maximumPerRequest)), since: .now())
            refreshSteppedSymbols()
            if authenticated { sendUpdates(to: client) }
        case let .unsubscribe(conid):
            client.subscriptions[conid] = nil
            refreshSteppedSymbols()
        case .session:
            break
        }
    }

    /// Every stream interval: each subscription gets the fields that changed since its last message.
    func streamRound() {
        guard authenticated else { return }
        endExpiredSubscriptions()
        for client in streams.values where client.authorized && !client.subscriptions.isEmpty {
            sendUpdates(to: client)
        }
    }

    /// Subscriptions whose `smd` is older than the gateway keeps one end without a word, as IBKR's do: a client
    /// that does not send `smd` again sees its quotes stop.
    private func endExpiredSubscriptions() {
        guard configuration.subscriptionSeconds > 0 else { return }
        let cutoff = NIODeadline.now() - .nanoseconds(Int64(configuration.subscriptionSeconds * 1e9))
        var ended = false
        for client in streams.values {
            let expired = client.subscriptions.filter { $0.value.since < cutoff }.map(\.key)
            for conid in expired { client.subscriptions[conid] = nil }
            if !expired.isEmpty {
                ended = true
                counters.subscriptionsExpired += expired.count
            }
        }
        if ended { refreshSteppedSymbols() }
    }

    private func sendUpdates(to client: StreamClient) {
        for (conid, subscription) in client.subscriptions {
            guard let listing = engine.listingsByConId[conid] else { continue }
            let current = fieldValues(listing)
            var changed: [MarketDataField: String] = [:]
            for field in subscription.fields + [.availability] {
                guard let value = current[field], subscription.sent[field] != value else { continue }
                changed[field] = value
            }
            guard !changed.isEmpty else { continue }
            client.subscriptions[conid]?.sent.merge(changed) { _, new in new }
            client.send(StreamEncoding.marketData(conid: conid, updated: nowMilliseconds, fields: changed))
            counters.streamMessages += 1
        }
    }
}
