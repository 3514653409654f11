import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Yahoo's chart endpoint on a loopback port, answering from the recordings: `/v8/finance/chart/<symbol>` gets the
/// file `chart` names for that symbol, with the status and content type ORIGIN-http.md gives it; a symbol without
/// one gets the recorded "Not Found". Every request's target is kept, so a test can check what Yahoo was asked.
final class YahooChartServer: Sendable {
    private let charts: [String: String]
    private let generated: @Sendable (_ symbol: String, _ query: [String: String]) -> Data?
    private let targets = Mutex<[String]>([])
    private let channel: any Channel

    /// - Parameters:
    ///   - charts: Yahoo symbol → fixture path under Tests/Fixtures (`yahoo/yahoo_chart_AAPL.json`).
    ///   - generated: a chart body made for the symbol and the request's query (for intervals no recording has),
    ///     served with 200 as JSON; nil leaves the request to `charts`.
    init(charts: [String: String],
         generated: @escaping @Sendable (_ symbol: String, _ query: [String: String]) -> Data? = { _, _ in nil }) async throws {
        self.charts = charts
        self.generated = generated
        let box = Mutex<YahooChartServer?>(nil)
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler { box.withLock { $0 } })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        box.withLock { $0 = self }
    }

    var url: String { "http://127.0.0.1:\(channel.localAddress!.port!)" }

    /// The request targets received so far, oldest first.
    var requests: [String] { targets.withLock { $0 } }

    func close() async { try? await channel.close() }

    fileprivate func answer(_ target: String) -> HTTPFixtures.Response? {
        targets.withLock { $0.append(target) }
        let parts = target.split(separator: "?", maxSplits: 1).map(String.init)
        let path = parts.first ?? target
        let prefix = "/v8/finance/chart/"
        guard path.hasPrefix(prefix) else { return nil }
        let symbol = String(path.dropFirst(prefix.count)).removingPercentEncoding ?? ""
        var query: [String: String] = [:]
        for pair in (parts.count > 1 ? parts[1] : "").split(separator: "&") {
            let item = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if item.count == 2 { query[item[0]] = item[1] }
        }
        if let body = generated(symbol, query) {
            return HTTPFixtures.Response(status: 200, contentType: HTTPFixtures.yahooJSON, body: body)
        }
        return try? HTTPFixtures.response(charts[symbol] ?? "yahoo/reconstructed/yahoo_chart_notfound_404.json")
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let owner: () -> YahooChartServer?
        var target = ""

        init(owner: @escaping () -> YahooChartServer?) { self.owner = owner }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(head): target = head.uri
            case .body: break
            case .end:
                let reply = owner()?.answer(target)
                let body = reply?.body ?? Data("not a chart request".utf8)
                var headers = HTTPHeaders()
                headers.add(name: "content-type", value: reply?.contentType ?? "text/plain")
                headers.add(name: "content-length", value: "\(body.count)")
                let status = HTTPResponseStatus(statusCode: reply?.status ?? 404)
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
