import Foundation
import NIOCore
import NIOWebSocket
import TastyTrade

/// One DXLink socket: its setup, the quote token it authorized with, and its feed channels.
final class DXLinkClient {
    let id: Int
    let channel: Channel
    var setupDone = false
    /// The quote token of its last accepted AUTH; data flows while the desk still honours it.
    var token: String?
    var lastHeard = NIODeadline.now()
    var lastSent = NIODeadline.now()

    init(id: Int, channel: Channel) {
        self.id = id
        self.channel = channel
    }

    var subscriptionCount: Int { 0 }

    func send(_ text: String) {
        lastSent = .now()
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(string: text)), promise: nil)
    }
}

extension TastyTradeDesk {
    func openFeed(_ channel: Channel) -> DXLinkClient {
        let client = DXLinkClient(id: nextClientID, channel: channel)
        nextClientID += 1
        feeds[client.id] = client
        return client
    }

    func closeFeed(_ client: DXLinkClient) {
        feeds[client.id] = nil
    }

    func closeFeeds() {
        for client in feeds.values { client.channel.close(promise: nil) }
        feeds = [:]
    }

    func received(_ text: String, from client: DXLinkClient) {
        client.lastHeard = .now()
    }

    func feedRound() {}

    func keepFeedsAlive() {}

    func refuseQuoteTokens() {
        quoteTokens = [:]
    }
}
