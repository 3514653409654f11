internal import ClientPortal
import Foundation
import NIOCore
import TickhubCore

extension ClientPortalDesk {
    /// `/iserver/marketdata/history?conid=&period=&bar=&outsideRth=&startTime=`: the same bars the TWS side's
    /// historical requests get (the walk's own minutes today, seeded ones before), in the gateway's shape. At most
    /// `historyConcurrency` requests are answered at once (IBKR: 5); one more while they are under way gets 429, as
    /// IBKR documents, without the penalty box. Each answer takes `historyLatencyMilliseconds`, so concurrent ones
    /// overlap as they do at IBKR.
    func history(query: [String: String]) -> GatewayReply {
        guard let text = query["conid"], let conid = Int(text.split(separator: "@").first ?? "") else {
            return .error(.badRequest, "Bad Request: conid is required and must be a number")
        }
        guard let listing = engine.listingsByConId[conid] else {
            return .error(.badRequest, "Bad Request: no contract with conid \(conid)")
        }
        let periodText = query["period"] ?? "1d"
        guard let period = HistoryTerms.seconds(period: periodText) else {
            return .error(.badRequest,
                "Bad Request: period '\(periodText)' is not one of {1-30}min, {1-8}h, {1-1000}d, {1-792}w, {1-182}m, {1-15}y")
        }
        let barText = query["bar"] ?? "1min"
        guard let barSeconds = HistoryTerms.seconds(bar: barText) else {
            return .error(.badRequest,
                "Bad Request: bar '\(barText)' is not one of 1min, 2min, 3min, 5min, 10min, 15min, 30min, 1h, 2h, 3h, 4h, 8h, 1d, 1w, 1m")
        }
        guard barSeconds <= 86_400 else {
            return .error(.badRequest, "Bad Request: bar '\(barText)' is not served by this simulator (bars of a day at most)")
        }
        // IBKR's step sizes: minute bars only with periods up to a day; no more than 1,000 bars in an answer.
        if barSeconds < 600, period > 86_400 {
            return .error(.badRequest, "Bad Request: bar '\(barText)' is not allowed with period '\(periodText)' (at most a day)")
        }
        var end = engine.simulatedTime
        if let start = query["startTime"], !start.isEmpty {
            guard start.count == 17, let parsed = HistoryQuery.end(start, now: engine.simulatedTime) else {
                return .error(.badRequest, "Bad Request: startTime '\(start)' is not YYYYMMDD-hh:mm:ss")
            }
            end = min(parsed, engine.simulatedTime)
        }
        guard historyInFlight < configuration.historyConcurrency else {
            historyRefused += 1
            return .error(.tooManyRequests,
                "Too many requests: at most \(configuration.historyConcurrency) history requests at once")
        }
        let type = listing.instrument.securityType
        // Days count as calendar days here; the walk's sessions decide which of them traded.
        let span: HistoryQuery.Span = barSeconds >= 86_400
            ? .calendarDays(Int((period + 86_399) / 86_400)) : .seconds(Int(period))
        let show = type == .forex ? "MIDPOINT" : "TRADES"
        let made = engine.historicalBars(listing, span: span, barSeconds: barSeconds, end: end, show: show)
            .suffix(HistoryTerms.maximumBars)
        // US stocks' volume in hundreds, as IBKR reports it; the rest as it is.
        let factor: Double = type == .stock || type == .option ? 100 : 1
        let rows = made.map { item in
            MarketDataHistory.Row(
                t: Int64(item.start) * 1000, o: item.bar.open, h: item.bar.high, l: item.bar.low, c: item.bar.close,
                v: show == "TRADES" ? (item.bar.volume / factor * 100).rounded() / 100 : 0)
        }
        let start = rows.first.map { Double($0.t) / 1000 } ?? end - Double(period)
        let answer = MarketDataHistory(
            symbol: listing.instrument.symbol, text: listing.longName, barLength: barSeconds, volumeFactor: factor,
            startTime: Self.utcText(start), availability: "S", rows: rows)
        historyInFlight += 1
        historyAnswered += 1
        var reply = GatewayReply.ok(answer.json(timePeriod: periodText, outsideRth: query["outsideRth"] == "true"))
        reply.delay = .milliseconds(Int64(configuration.historyLatencyMilliseconds))
        reply.whenSent = { [weak self] in self?.historyInFlight -= 1 }
        return reply
    }

    private static func utcText(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
