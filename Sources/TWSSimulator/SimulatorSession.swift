import NIOCore
import TWSProtocol

/// One client connection's state. Lives on the simulator's event loop only.
final class SimulatorSession {
    let id: Int
    let channel: Channel
    /// 0 until the hello is negotiated.
    var serverVersion = 0
    var clientID: Int?
    /// The type reqMarketDataType set; it applies to later reqMktData.
    var marketDataType = 1
    var accountSummaryRequests: Set<Int> = []
    var accountUpdatesAccount: String?
    var accountPnLRequests: [Int: String] = [:]
    var positionPnLRequests: [Int: (account: String, conId: Int)] = [:]
    /// Requests counted in the current pacing second.
    var messagesThisSecond = 0
    var nextOrderID = 1

    /// Until then everything for this connection is dropped (`Fault.stall`).
    var mutedUntil: NIODeadline?
    /// Frames produced since the last flush, written in one go.
    private var outbound: ByteBuffer

    init(id: Int, channel: Channel) {
        self.id = id
        self.channel = channel
        outbound = channel.allocator.buffer(capacity: 4096)
    }

    var isStarted: Bool { clientID != nil }

    func send(_ message: some TWSMessage) {
        message.encode(into: &outbound, serverVersion: serverVersion)
    }

    func sendRaw(_ bytes: ByteBuffer) {
        var bytes = bytes
        outbound.writeBuffer(&bytes)
    }

    func sendError(_ requestID: Int, _ code: Int, _ text: String, now: Int) {
        send(ErrorMessage(requestID: requestID, code: code, message: text, errorTime: now * 1000))
    }

    func flush() {
        if let until = mutedUntil {
            if NIODeadline.now() < until {
                outbound.clear()
                return
            }
            mutedUntil = nil
        }
        guard outbound.readableBytes > 0, channel.isActive else {
            outbound.clear()
            return
        }
        channel.writeAndFlush(outbound, promise: nil)
        outbound = channel.allocator.buffer(capacity: 4096)
    }
}
