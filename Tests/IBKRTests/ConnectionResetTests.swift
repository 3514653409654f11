import Foundation
import IBKR
import NIOCore
import NIOPosix
import Testing

/// A socket reset is a connection failure, not bad data: the provider says which, and keeps retrying.
@Suite("Connection reset", .timeLimit(.minutes(2)))
struct ConnectionResetTests {
    /// Accepts, reads the client's hello, and aborts the connection (SO_LINGER 0: an RST, not a FIN).
    final class ResetOnRead: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.close(promise: nil)
        }
    }

    @Test func aResetSocketIsReportedAsAConnectionFailure() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let provider = channel as! any SocketOptionProvider
                return provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(ResetOnRead())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        var configuration = testProviderConfiguration(port: port)
        configuration.reconnectInitialSeconds = 0.05
        configuration.reconnectCapSeconds = 0.2
        let provider = IBKRProvider(configuration: configuration)
        let events = await EventLog.recording(provider)
        await provider.start()
        do {
            let status = try await events.awaitConnection("reconnecting after a reset") {
                if case .reconnecting = $0.state { $0.lastError != nil } else { false }
            }
            let lastError = try #require(status.lastError)
            #expect(!lastError.contains("bad data"), "\(lastError)")
            #expect(lastError.contains("connection to TWS failed") || lastError.contains("could not connect"), "\(lastError)")
            #expect(status.connections == 0)
            // It keeps trying.
            try await events.awaitConnection("a later attempt") {
                if case let .reconnecting(attempt, _) = $0.state { attempt >= 3 } else { false }
            }
        } catch {
            await provider.stop()
            await events.stop()
            try? await server.close()
            try? await group.shutdownGracefully()
            throw error
        }
        await provider.stop()
        await events.stop()
        try? await server.close()
        try? await group.shutdownGracefully()
    }
}
