import Foundation
import NIOCore
import NIOWebSocket
import TastyTrade

/// One account streamer connection: the accounts its `connect` named, once its token was accepted.
final class AccountStreamerClient {
    let id: Int
    let channel: Channel
    let sessionID = TastyTradeDesk.newToken(bytes: 8)
    var accounts: Set<String> = []
    var connected = false
    /// The access token its last accepted message carried: the session lives while that token does.
    var token: String?
    var lastHeard = NIODeadline.now()

    init(id: Int, channel: Channel) {
        self.id = id
        self.channel = channel
    }

    func send(_ text: String) {
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(string: text)), promise: nil)
    }
}

extension TastyTradeDesk {
    func openStreamer(_ channel: Channel) -> AccountStreamerClient {
        let client = AccountStreamerClient(id: nextClientID, channel: channel)
        nextClientID += 1
        streamers[client.id] = client
        return client
    }

    func closeStreamer(_ client: AccountStreamerClient) {
        streamers[client.id] = nil
    }

    func closeStreamers() {
        for client in streamers.values { client.channel.close(promise: nil) }
        streamers = [:]
    }

    /// `connect` (the accounts to hear of, with a live access token), `heartbeat` (only after a connect), and any
    /// other action acknowledged without effect. Every action carries the token, and a dead one is refused; a
    /// live one becomes the session's, which TastyTrade drops once its token has expired (its documentation: put a
    /// currently valid token in every message, reconnect when the session is dropped).
    func received(_ text: String, from client: AccountStreamerClient) {
        client.lastHeard = .now()
        let request: AccountStreamerRequest
        do {
            request = try AccountStreamerRequest(json: Array(text.utf8))
        } catch {
            client.send(AccountStreamerMessage.refused(action: "", message: "invalid-message: \(error)").json)
            return
        }
        guard authorized(request.authToken) else {
            counters.unauthorized += 1
            client.send(AccountStreamerMessage.refused(action: request.action, message: "token-invalid").json)
            return
        }
        client.token = request.authToken
        switch request.action {
        case "connect":
            let known = Set(accounts.map(\.accountNumber))
            let wanted = Set(request.value ?? [])
            guard !wanted.isEmpty, wanted.isSubset(of: known) else {
                client.send(AccountStreamerMessage.refused(
                    action: "connect", message: "unknown accounts: \(wanted.subtracting(known).sorted().joined(separator: ", "))").json)
                return
            }
            client.accounts = wanted
            client.connected = true
        case "heartbeat":
            guard client.connected else {
                client.send(AccountStreamerMessage.refused(action: "heartbeat", message: "connect-not-completed").json)
                return
            }
        default:
            break
        }
        client.send(AccountStreamerMessage.ack(action: request.action, requestID: request.requestID, sessionID: client.sessionID).json)
    }

    /// A fill's position and the account's balances, to every streamer connected to the account: as two messages,
    /// or as one `results` batch.
    func announce(position: TastyPosition, balance: TastyBalance, batched: Bool) {
        let timestamp = nowMilliseconds
        let messages = [
            AccountStreamerMessage.notificationJSON(type: "CurrentPosition", dataJSON: position.json, timestamp: timestamp),
            AccountStreamerMessage.notificationJSON(type: "AccountBalance", dataJSON: balance.objectJSON, timestamp: timestamp),
        ]
        for client in streamers.values where client.connected && client.accounts.contains(position.accountNumber) {
            if batched {
                client.send(AccountStreamerMessage.batchJSON(written: messages))
            } else {
                for message in messages { client.send(message) }
            }
            counters.notifications += messages.count
        }
    }

    /// Streamers that sent nothing within `streamerTimeoutSeconds`, and sessions whose token has expired (or was
    /// revoked), are closed.
    func expireStreamers() {
        let cutoff = NIODeadline.now() - .nanoseconds(Int64(configuration.streamerTimeoutSeconds * 1e9))
        for client in streamers.values {
            let silent = client.lastHeard < cutoff
            let tokenDead = client.token.map { !authorized($0) } ?? false
            guard silent || tokenDead else { continue }
            logger.notice("TastyTrade streamer \(client.id) closed: \(silent ? "silent past \(configuration.streamerTimeoutSeconds) s" : "its token expired")")
            client.channel.close(promise: nil)
            streamers[client.id] = nil
        }
    }
}
