import Hub
import HubProtocol
import TickhubCore

/// `GET /api/market-data/bars/{symbol}?interval=1m&range=1d` (or `from`/`to` in ms): the bars of a series, their
/// source, and whether the newest is complete. Answered off the fan-out thread, since the database and the
/// providers may be asked.
extension ChartDesk: HubFeature {
    static let prefix = "/api/market-data/bars/"

    package func register(into routes: inout HubRouter) {
        routes.add("bars", [.get], .prefix(Self.prefix)) { _, request, symbol in
            let query = request.query
            let text = String(symbol)
            return .async { await self.answer(symbol: text, query: query) }
        }
    }

    func answer(symbol text: String, query: [String: String]) async -> HTTPResponse {
        let instrument: Instrument
        do {
            instrument = try SymbolGrammar.parse(text)
        } catch {
            return .error(400, code: "invalid_symbol", error.description)
        }
        let name = query["interval"] ?? BarInterval.oneMinute.rawValue
        guard let interval = BarInterval(wire: name) else {
            return .error(400, code: "bad_interval", "interval \"\(quoted(name, limit: 16))\" is not one of \(BarInterval.names)")
        }
        let span: BarSpan
        do {
            span = try BarSpan.parse(query, interval: interval, instrument: instrument, now: now())
        } catch {
            switch error {
            case let .badRange(why): return .error(400, code: "bad_range", why)
            case let .tooLong(why): return .error(400, code: "range_too_long", why)
            }
        }
        let key = BarKey(symbol: instrument.symbol, interval: interval)
        do {
            let (fetch, complete) = try await bars(key, instrument, span)
            return .json(200, BarEncoding.series(key, bars: fetch.bars, source: fetch.source, lastComplete: complete, type: nil))
        } catch let HistoricalBarError.unknownSymbol(why) {
            return .error(404, code: "unknown_symbol", "no provider has bars for \(instrument.symbol): \(why)")
        } catch let HistoricalBarError.unavailable(why) {
            return .error(503, code: "unavailable", "no provider can give bars for \(instrument.symbol) now: \(why)")
        } catch let HistoricalBarError.malformed(why) {
            return .error(502, code: "bad_upstream", "the provider's bars for \(instrument.symbol) could not be read: \(why)")
        } catch {
            return .error(503, code: "unavailable", "no provider can give bars for \(instrument.symbol) now: \(error)")
        }
    }
}
