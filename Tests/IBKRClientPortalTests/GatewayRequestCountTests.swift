import IBKR
@testable import IBKRClientPortal
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The pace the status reports is the requests that went in the last 10 seconds on the pacer's clock: a request
/// counts once it is let through, whether or not the gateway then answers.
@Suite("Client Portal requests in the last 10 s")
struct GatewayRequestCountTests {
    @Test func requestsCountForTenSecondsThenFallAway() async throws {
        let now = Mutex(100.0)
        // A loopback port that hangs up on every connection: each call fails fast, after its turn.
        let hangUp = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(HangUp()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(hangUp.localAddress?.port)
        let client = try GatewayClient(host: "127.0.0.1", port: port, settings: ClientPortalSettings(),
                                       group: MultiThreadedEventLoopGroup.singleton, clock: { now.withLock { $0 } })
        defer {
            Task {
                await client.shutdown()
                try? await hangUp.close()
            }
        }
        #expect(client.requestsLast10s == 0)
        // Three calls a second apart on the pacer's clock, each let through before the clock moves on (they fail
        // together afterwards: the client keeps trying a refused connection until its connect timeout).
        await withTaskGroup(of: Void.self) { group in
            for sent in 1...3 {
                group.addTask { _ = try? await client.call(.authStatus, .POST, path: "/iserver/auth/status") }
                for _ in 0..<500 where client.requestsLast10s < sent { try? await Task.sleep(for: .milliseconds(10)) }
                #expect(client.requestsLast10s == sent)
                now.withLock { $0 += 1 }
            }
        }
        // Sent at 100, 101 and 102; now is 103.
        #expect(client.requestsLast10s == 3)
        now.withLock { $0 = 110.5 }
        #expect(client.requestsLast10s == 2)
        now.withLock { $0 = 112.5 }
        #expect(client.requestsLast10s == 0)
        #expect(client.penalties == 0)
    }
}

private final class HangUp: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    func channelActive(context: ChannelHandlerContext) { context.close(promise: nil) }
}
