import Foundation
import ProviderParsing
import TickhubCore

/// Chart backfill from Yahoo's v8 chart, the endpoint its quotes fall back to: the fallback when IBKR cannot serve a
/// symbol. Yahoo has no live bars; the hub's candle from trades forms the current one.
extension YahooProvider: HistoricalBarProvider {
    public var source: QuoteSource { .yahoo }

    /// How far back Yahoo keeps bars of each interval, and how much of it one request may span (Yahoo answers 422
    /// beyond them: "The requested range must be within the last 60 days", "Only 7 days worth of 1m granularity
    /// data are allowed to be fetched per request"). Nil is no limit.
    public static func chartReach(_ interval: BarInterval) -> (back: Int64?, perRequest: Int64?) {
        let day: Int64 = 86_400_000
        switch interval {
        case .oneMinute: return (30 * day, 7 * day)
        case .fiveMinutes, .fifteenMinutes, .thirtyMinutes: return (60 * day, nil)
        case .oneHour: return (730 * day, nil)
        case .oneDay: return (nil, nil)
        }
    }

    /// Refuses a span that starts before Yahoo's bars of its interval do.
    static func checkReach(_ request: BarRequest, now: Int64) throws(HistoricalBarError) {
        if let back = chartReach(request.interval).back, request.from < now - back {
            throw .unavailable("Yahoo keeps \(request.interval.rawValue) bars for the last \(back / 86_400_000) days only")
        }
    }

    /// `request` cut into spans Yahoo serves in one request each, oldest first, up to a day past `now` (no bar
    /// starts later).
    static func pieces(_ request: BarRequest, now: Int64) -> [BarRequest] {
        guard let span = chartReach(request.interval).perRequest else { return [request] }
        let end = min(request.to, max(request.from, now) + 86_400_000)
        var pieces: [BarRequest] = []
        var from = request.from
        while from < end {
            var piece = request
            piece.from = from
            piece.to = min(end, from + span)
            pieces.append(piece)
            from = piece.to
        }
        return pieces
    }

    /// The chart query (`interval`, `period1`, `period2`) for `request` at `now` (ms), or why Yahoo cannot serve it.
    public static func chartQuery(_ request: BarRequest, now: Int64) throws(HistoricalBarError) -> String {
        try checkReach(request, now: now)
        if let span = chartReach(request.interval).perRequest, request.to - request.from > span {
            throw .unavailable("Yahoo serves at most \(span / 86_400_000) days of \(request.interval.rawValue) bars per request")
        }
        // period1 inclusive, period2 exclusive, in whole seconds covering [from, to). A day's bar is stamped with its
        // session's open, which east of UTC comes before 00:00 UTC of its date: a day earlier, then filtered.
        let start = request.interval == .oneDay ? request.from - 86_400_000 : request.from
        let period1 = start >= 0 ? start / 1000 : (start - 999) / 1000
        let period2 = request.to / 1000 + (request.to % 1000 > 0 ? 1 : 0)
        return "interval=\(YahooParsing.chartInterval(request.interval))&period1=\(period1)&period2=\(period2)&includePrePost=false"
    }

    /// How far back Yahoo's half hours reach with a margin, so that a request at the edge is not refused: the hours
    /// within it are folded from them.
    static let halfHoursReach: Int64 = 59 * 86_400_000

    public func bars(_ request: BarRequest) async throws -> [Bar] {
        guard request.from < request.to else { return [] }
        guard let yahoo = ProviderSymbols.yahooSymbol(for: request.instrument) else {
            throw HistoricalBarError.unknownSymbol("Yahoo has no symbol for \(request.instrument.symbol)")
        }
        let now = nowMillis()
        try Self.checkReach(request, now: now)
        guard request.interval == .oneHour else {
            // Minutes come a week a request at most: a longer span is asked piece by piece.
            var bars: [Bar] = []
            for piece in Self.pieces(request, now: now) { bars += try await chart(yahoo, piece, now: now) }
            return bars
        }
        // Yahoo's own hours start at the open (09:30 in New York), where the hub's live candle forms on the clock
        // hour: within the half hours' reach, the hours are folded from them; before it, Yahoo's hours are all there are.
        let hour = BarInterval.oneHour
        let reach = now - Self.halfHoursReach
        var bars: [Bar] = []
        var foldFrom = request.from
        if request.from < reach {
            let seam = hour.start(of: reach) + hour.milliseconds
            var older = request
            older.to = min(request.to, seam)
            bars = try await chart(yahoo, older, now: now).filter { $0.time < seam }
            foldFrom = seam
        }
        if foldFrom < request.to {
            var halves = request
            halves.interval = .thirtyMinutes
            halves.from = foldFrom
            // An hour that starts before the span holds only part of its half hours: it is not one of the span's bars.
            bars += YahooParsing.fold(try await chart(yahoo, halves, now: now), into: hour).filter { $0.time >= foldFrom }
        }
        return bars
    }

    /// One chart request: the bars of `request` as Yahoo has them.
    private func chart(_ yahoo: String, _ request: BarRequest, now: Int64) async throws -> [Bar] {
        let query = try Self.chartQuery(request, now: now)
        let paused = state.withLock { $0.pausedUntil }
        guard now >= paused else {
            throw HistoricalBarError.unavailable(
                "Yahoo is paused after a rate limit or outage until \(Date(timeIntervalSince1970: Double(paused) / 1000))")
        }
        let url = configuration.baseURL + "/v8/finance/chart/" + ProviderSymbols.percentEncodedPathSegment(yahoo) + "?" + query
        let response: HTTPFetcher.Response
        do {
            response = try await fetcher.get(url)
        } catch {
            throw HistoricalBarError.unavailable("Yahoo unreachable: \(error)")
        }
        switch YahooParsing.parseChartBars(
            status: response.status, contentType: response.contentType, body: response.body, interval: request.interval) {
        case let .bars(chart):
            if chart.skipped > 0 {
                logger.debug("Yahoo \(yahoo) \(request.interval.rawValue): \(chart.skipped) rows without whole prices left out")
            }
            // Yahoo rounds the span out to its own bars (a day's bar stamped at the open); the chart asked for [from, to).
            return chart.bars.filter { $0.time >= request.from && $0.time < request.to }
        case let .unknownSymbol(message):
            throw HistoricalBarError.unknownSymbol("Yahoo does not know \(yahoo): \(message)")
        case .rateLimited:
            rateLimited()
            throw HistoricalBarError.unavailable("Yahoo answered 429 Too Many Requests")
        case let .unauthorized(message), let .unavailable(message):
            throw HistoricalBarError.unavailable("Yahoo chart for \(yahoo): \(message)")
        }
    }
}
