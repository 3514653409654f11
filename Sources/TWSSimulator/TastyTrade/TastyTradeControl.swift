import Foundation
import NIOHTTP1
import TastyTrade

/// The simulated TastyTrade's routes on the simulator's control port: `GET /tastytrade/status`,
/// `POST /tastytrade/fault/<name>` (`TastyTradeFault.parse`), `POST /tastytrade/fill?account=&symbol=&quantity=[&price=]`.
enum TastyTradeControl {
    static func answer(
        method: HTTPMethod, path: String, query: [String: String], tastyTrade: TastyTradeSimulator?
    ) async -> (HTTPResponseStatus, String) {
        guard let tastyTrade else {
            return (.notFound, #"{"error":"no simulated TastyTrade is running (tickhub-sim --tastytrade-port)"}"#)
        }
        if path == "/tastytrade/status" {
            guard method == .GET else { return (.methodNotAllowed, #"{"error":"GET /tastytrade/status"}"#) }
            guard let status = try? await tastyTrade.status(), let json = try? JSONEncoder().encode(status) else {
                return (.internalServerError, #"{"error":"status unavailable"}"#)
            }
            return (.ok, String(decoding: json, as: UTF8.self))
        }
        guard method == .POST else { return (.methodNotAllowed, #"{"error":"use POST for TastyTrade faults and fills"}"#) }
        if path == "/tastytrade/fill" {
            return await fill(query: query, tastyTrade: tastyTrade)
        }
        guard let fault = TastyTradeFault.parse(path: path, query: query) else {
            return (.notFound, #"{"error":"unknown TastyTrade fault \#(path) (expire-tokens, revoke-grant, restore-grant, too-many-requests?count=N, drop-streamers, dxlink-unauthorized, drop-dxlink)"}"#)
        }
        await tastyTrade.inject(fault)
        return (.ok, #"{"injected":"\#(path.dropFirst("/tastytrade/fault/".count))"}"#)
    }

    private static func fill(query: [String: String], tastyTrade: TastyTradeSimulator) async -> (HTTPResponseStatus, String) {
        let usage = "POST /tastytrade/fill?account=5WT00001&symbol=AAPL&quantity=10[&price=231.5] (a sale is a negative quantity)"
        guard let account = query["account"], !account.isEmpty, let symbol = query["symbol"], !symbol.isEmpty,
              let quantity = query["quantity"].flatMap(Double.init), quantity.isFinite, quantity != 0
        else { return (.badRequest, errorJSON(usage)) }
        var price: Double?
        if let text = query["price"] {
            guard let value = Double(text), value.isFinite, value >= 0 else { return (.badRequest, errorJSON("price '\(text)' is not a price: \(usage)")) }
            price = value
        }
        do {
            let position = try await tastyTrade.fill(account: account, symbol: symbol, quantity: quantity, price: price)
            return (.ok, "{\"position\":\(position.json)}")
        } catch {
            return (.badRequest, errorJSON("\(error)"))
        }
    }

    private static func errorJSON(_ message: String) -> String { GatewayReply.json(["error": message]) }
}
