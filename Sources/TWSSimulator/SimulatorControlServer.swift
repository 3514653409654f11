import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP surface for injecting faults into a running simulator from scripts and other processes.
///
/// `GET /status`; `POST /fault/<name>` with `drop`, `refuse?seconds=N`, `link-lost`, `link-restored?dataLost=1`,
/// `farm-broken`, `farm-restored`, `competing-session`, `competing-session-ended`, `malformed?kind=field|length|truncated`;
/// `POST /clock?time=<ISO 8601>` sets the simulated time (it runs on from there). With a Client Portal gateway:
/// `GET /clientportal/status` and its faults, `POST /fault/cp-…` (see `ClientPortalFault.parse`). With a simulated
/// TastyTrade: `GET /tastytrade/status`; `POST /tastytrade/fault/<name>` with `expire-tokens`, `revoke-grant`,
/// `restore-grant`, `too-many-requests?count=N`, `drop-streamers`, `dxlink-unauthorized`, `drop-dxlink` (see
/// `TastyTradeFault`); `POST /tastytrade/fill?account=5WT00001&symbol=AAPL&quantity=10[&price=231.5]` (a sale is a
/// negative quantity; without a price, at the mark) answers the position as it now stands.
public enum SimulatorControlServer {
    /// Starts listening on `host:port` (0 for a free port) and returns the channel; close it to stop.
    public static func start(
        simulator: GatewaySimulator, clientPortal: ClientPortalGateway? = nil, tastyTrade: TastyTradeSimulator? = nil,
        host: String = "127.0.0.1", port: Int, group: EventLoopGroup
    ) async throws -> Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ControlHandler(simulator: simulator, clientPortal: clientPortal, tastyTrade: tastyTrade))
                }
            }
            .bind(host: host, port: port).get()
    }

    /// Parses a control path into a fault; nil for an unknown one.
    public static func fault(path: String, query: [String: String]) -> Fault? {
        switch path {
        case "/fault/drop": return .dropConnections
        case "/fault/refuse": return .refuseConnections(seconds: Double(query["seconds"] ?? "") ?? 5)
        case "/fault/stall": return .stall(seconds: Double(query["seconds"] ?? "") ?? 30)
        case "/fault/link-lost": return .connectivityLost
        case "/fault/link-restored":
            return .connectivityRestored(dataLost: ["1", "true", "yes"].contains(query["dataLost"] ?? "0"))
        case "/fault/farm-broken": return .farmBroken
        case "/fault/farm-restored": return .farmRestored
        case "/fault/competing-session": return .competingSession
        case "/fault/competing-session-ended": return .competingSessionEnded
        case "/fault/malformed":
            return Fault.MalformedFrame(rawValue: query["kind"] ?? "field").map { .malformedFrame($0) }
        default: return nil
        }
    }
}

private final class ControlHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let simulator: GatewaySimulator
    let clientPortal: ClientPortalGateway?
    let tastyTrade: TastyTradeSimulator?

    init(simulator: GatewaySimulator, clientPortal: ClientPortalGateway?, tastyTrade: TastyTradeSimulator?) {
        self.simulator = simulator
        self.clientPortal = clientPortal
        self.tastyTrade = tastyTrade
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case let .head(head) = unwrapInboundIn(data) else { return }
        let components = URLComponents(string: head.uri)
        let path = components?.path ?? head.uri
        var query: [String: String] = [:]
        for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let eventLoop = context.eventLoop
        let context = NIOLoopBound(context, eventLoop: eventLoop)
        let simulator = simulator
        let clientPortal = clientPortal
        let tastyTrade = tastyTrade
        let method = head.method
        Task {
            let (status, body) = await Self.answer(
                method: method, path: path, query: query, simulator: simulator, clientPortal: clientPortal,
                tastyTrade: tastyTrade)
            // The answer comes back on some task executor: only the loop may unwrap the context.
            eventLoop.execute {
                Self.respond(context.value, status: status, body: body)
            }
        }
    }

    static func answer(
        method: HTTPMethod, path: String, query: [String: String], simulator: GatewaySimulator,
        clientPortal: ClientPortalGateway?, tastyTrade: TastyTradeSimulator?
    ) async -> (HTTPResponseStatus, String) {
        if path.hasPrefix("/tastytrade/") {
            return await TastyTradeControl.answer(method: method, path: path, query: query, tastyTrade: tastyTrade)
        }
        if method == .GET, path == "/clientportal/status" {
            guard let clientPortal else { return (.notFound, #"{"error":"no Client Portal gateway is running"}"#) }
            guard let status = try? await clientPortal.status(),
                  let json = try? JSONEncoder().encode(status)
            else { return (.internalServerError, #"{"error":"status unavailable"}"#) }
            return (.ok, String(decoding: json, as: UTF8.self))
        }
        if method == .GET, path == "/status" {
            guard let status = try? await simulator.status(),
                  let json = try? JSONEncoder().encode(status)
            else { return (.internalServerError, #"{"error":"status unavailable"}"#) }
            return (.ok, String(decoding: json, as: UTF8.self))
        }
        guard method == .POST else { return (.methodNotAllowed, #"{"error":"use POST for faults and /clock, GET for /status"}"#) }
        if path == "/clock" {
            guard let text = query["time"], let date = TradingCalendar.parse(text) else {
                return (.badRequest, #"{"error":"POST /clock?time=<ISO 8601 time with an offset, e.g. 2026-12-02T10:00:00-05:00>"}"#)
            }
            await simulator.setClock(date)
            return (.ok, #"{"clock":"\#(TradingCalendar.format(date))"}"#)
        }
        if path.hasPrefix("/fault/cp-") {
            guard let clientPortal else { return (.notFound, #"{"error":"no Client Portal gateway is running"}"#) }
            guard let fault = ClientPortalFault.parse(path: path, query: query) else {
                return (.notFound, #"{"error":"unknown Client Portal fault \#(path)"}"#)
            }
            await clientPortal.inject(fault)
            return (.ok, #"{"injected":"\#(path.dropFirst("/fault/".count))"}"#)
        }
        guard let fault = SimulatorControlServer.fault(path: path, query: query) else {
            return (.notFound, #"{"error":"unknown fault \#(path)"}"#)
        }
        await simulator.inject(fault)
        return (.ok, #"{"injected":"\#(path.dropFirst("/fault/".count))"}"#)
    }

    static func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus, body: String) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.utf8.count))
        headers.add(name: "connection", value: "close")
        context.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
