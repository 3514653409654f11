import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP server on a loopback port standing in for a webhook or the Telegram Bot API: it answers each POST
/// with the next status of its script (the last one repeated), keeps what it received, and announces each request
/// on `received`, so a test awaits the request instead of sleeping.
final class LoopbackReceiver: Sendable {
    struct Request: Sendable {
        var path: String
        var body: String
        var contentType: String?
    }

    private let script: [Int]
    private let requests = Mutex<[Request]>([])
    let received: AsyncStream<Request>
    private let announce: AsyncStream<Request>.Continuation
    private let channel: any Channel

    init(statuses: [Int], answer: String = "{}") async throws {
        script = statuses
        (received, announce) = AsyncStream.makeStream(of: Request.self)
        let box = Mutex<LoopbackReceiver?>(nil)
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(answer: answer) { box.withLock { $0 } })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        box.withLock { $0 = self }
    }

    var url: String { "http://127.0.0.1:\(channel.localAddress!.port!)" }

    var all: [Request] { requests.withLock { $0 } }

    /// The status for the request just received, and the request kept.
    fileprivate func take(_ request: Request) -> Int {
        let status = requests.withLock { list in
            list.append(request)
            return script[min(list.count - 1, script.count - 1)]
        }
        announce.yield(request)
        return status
    }

    func close() async {
        announce.finish()
        try? await channel.close()
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let answer: String
        let owner: () -> LoopbackReceiver?
        var head: HTTPRequestHead?
        var body = ""

        init(answer: String, owner: @escaping () -> LoopbackReceiver?) {
            self.answer = answer
            self.owner = owner
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(head):
                self.head = head
                body = ""
            case var .body(buffer):
                body += buffer.readString(length: buffer.readableBytes) ?? ""
            case .end:
                guard let head, let owner = owner() else { return }
                let status = owner.take(Request(path: head.uri, body: body, contentType: head.headers.first(name: "content-type")))
                var headers = HTTPHeaders()
                headers.add(name: "content-type", value: "application/json")
                headers.add(name: "content-length", value: String(answer.utf8.count))
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .init(statusCode: status), headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: answer)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
