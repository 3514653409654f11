import Foundation
import NIOCore
import NIOPosix
import Testing
import TWSProtocol
import TWSSimulator

/// The HTTP fault-injection surface: path parsing, and one request end to end.
@Suite("Control server")
struct ControlServerTests {
    @Test(arguments: [
        ("/fault/drop", [:], Fault.dropConnections),
        ("/fault/refuse", ["seconds": "3"], .refuseConnections(seconds: 3)),
        ("/fault/refuse", ["seconds": "0.5"], .refuseConnections(seconds: 0.5)),
        ("/fault/refuse", [:], .refuseConnections(seconds: 5)),
        ("/fault/link-lost", [:], .connectivityLost),
        ("/fault/link-restored", [:], .connectivityRestored(dataLost: false)),
        ("/fault/link-restored", ["dataLost": "1"], .connectivityRestored(dataLost: true)),
        ("/fault/link-restored", ["dataLost": "true"], .connectivityRestored(dataLost: true)),
        ("/fault/link-restored", ["dataLost": "0"], .connectivityRestored(dataLost: false)),
        ("/fault/farm-broken", [:], .farmBroken),
        ("/fault/farm-restored", [:], .farmRestored),
        ("/fault/competing-session", [:], .competingSession),
        ("/fault/competing-session-ended", [:], .competingSessionEnded),
        ("/fault/malformed", [:], .malformedFrame(.badField)),
        ("/fault/malformed", ["kind": "field"], .malformedFrame(.badField)),
        ("/fault/malformed", ["kind": "length"], .malformedFrame(.hugeLength)),
        ("/fault/malformed", ["kind": "truncated"], .malformedFrame(.truncated)),
    ] as [(String, [String: String], Fault)])
    func parsesFaultPaths(path: String, query: [String: String], fault: Fault) {
        #expect(SimulatorControlServer.fault(path: path, query: query) == fault)
    }

    @Test(arguments: ["/fault/unknown", "/fault", "/status", "/", "/fault/drop/extra", "fault/drop"])
    func unknownPathsAreNil(path: String) {
        #expect(SimulatorControlServer.fault(path: path, query: [:]) == nil)
    }

    @Test func unknownMalformedKindIsNil() {
        #expect(SimulatorControlServer.fault(path: "/fault/malformed", query: ["kind": "bogus"]) == nil)
    }

    @Test func linkLostOverHTTPReachesAConnectedClient() async throws {
        try await withSimulator { simulator, port in
            let control = try await SimulatorControlServer.start(
                simulator: simulator, port: 0, group: MultiThreadedEventLoopGroup.singleton)
            do {
                let controlPort = try #require(control.localAddress?.port)
                let client = try await TestClient.connect(port: port, clientID: 1)

                let status = try await HTTP.request("GET", "/status", port: controlPort)
                #expect(status.status == 200)
                #expect(status.body.contains("\"connections\""), "status body: \(status.body)")
                let decoded = try JSONDecoder().decode(GatewaySimulator.Status.self, from: Data(status.body.utf8))
                #expect(decoded.connections == 1)
                #expect(decoded.port == port)
                #expect(!decoded.linkDown)

                let injected = try await HTTP.request("POST", "/fault/link-lost", port: controlPort)
                #expect(injected.status == 200, "body: \(injected.body)")
                try await client.nextError(code: 1100, requestID: -1)
                #expect(try await simulator.status().linkDown)

                let unknown = try await HTTP.request("POST", "/fault/nope", port: controlPort)
                #expect(unknown.status == 404)
                let wrongMethod = try await HTTP.request("GET", "/fault/drop", port: controlPort)
                #expect(wrongMethod.status == 405)
                #expect(client.isActive)
                await client.close()
            } catch {
                try? await control.close()
                throw error
            }
            try? await control.close()
        }
    }
}

/// A minimal HTTP/1.1 client on a raw NIO socket: one request, read until the server closes.
enum HTTP {
    struct Response {
        var status: Int
        var body: String
    }

    static func request(_ method: String, _ path: String, port: Int) async throws -> Response {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let reader = ResponseReader(loop: loop)
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(reader) }
                }
                .connect(host: "127.0.0.1", port: port).get()
        } catch {
            reader.done.fail(error)
            throw error
        }
        let text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: text))
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(10)) {
            reader.done.fail(TestTimeout(what: "the response to \(method) \(path)"))
            channel.close(promise: nil)
        }
        let raw = try await reader.done.futureResult.get()
        timeout.cancel()
        guard let headerEnd = raw.range(of: "\r\n\r\n") else { throw Malformed(raw: raw) }
        let statusLine = raw[..<headerEnd.lowerBound].split(separator: "\r\n").first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Malformed(raw: raw) }
        return Response(status: status, body: String(raw[headerEnd.upperBound...]))
    }

    struct Malformed: Error {
        var raw: String
    }

    private final class ResponseReader: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        /// The whole response, once the server has closed the connection.
        let done: EventLoopPromise<String>
        private let received: NIOLoopBoundBox<ByteBuffer>

        init(loop: EventLoop) {
            done = loop.makePromise()
            received = .makeBoxSendingValue(ByteBuffer(), eventLoop: loop)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            received.value.writeBuffer(&buffer)
        }

        func channelInactive(context: ChannelHandlerContext) {
            done.succeed(String(buffer: received.value))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
