import Foundation
import TWSProtocol
import TickhubCore

extension SimulatorEngine {
    /// Folds a walk's step into its minute bars.
    func recordMinute(of walk: PriceWalk, at time: Double) {
        minuteBars[walk.instrument.symbol, default: MinuteBars()].record(
            price: walk.hasTrades ? walk.last : walk.midpoint, dayVolume: walk.volume, at: time)
    }

    func historicalData(_ request: RequestHistoricalData, on session: SimulatorSession) {
        let requestID = request.requestID
        guard let listing = listing(for: request.contract) else {
            sendError(to: session, requestID, 200, "No security definition has been found for the request")
            return
        }
        guard let barSeconds = HistoryQuery.barSeconds(request.barSize) else {
            sendError(to: session, requestID, 321,
                "Error validating request.-'bX' : cause - Historical data bar size setting is invalid. Legal ones are: 1 min, 2 mins, 3 mins, 5 mins, 10 mins, 15 mins, 30 mins, 1 hour, 1 day")
            return
        }
        guard let span = HistoryQuery.span(request.duration) else {
            sendError(to: session, requestID, 321,
                "Error validating request.-'bX' : cause - Historical data duration format is invalid: '\(request.duration)'. Use an integer and a unit: S, D, W, M or Y, as in '1 D'")
            return
        }
        guard let end = HistoryQuery.end(request.endDateTime, now: simulatedTime) else {
            sendError(to: session, requestID, 321,
                "Error validating request.-'bX' : cause - End date/time '\(request.endDateTime)' is invalid: use yyyyMMdd HH:mm:ss followed by a time zone, or yyyyMMdd-HH:mm:ss in UTC")
            return
        }
        if request.keepUpToDate && !request.endDateTime.isEmpty {
            sendError(to: session, requestID, 321,
                "Error validating request.-'bX' : cause - End date not supported with live updates")
            return
        }
        let type = listing.instrument.securityType
        let show = request.whatToShow.uppercased()
        guard ["TRADES", "MIDPOINT", "BID", "ASK", "BID_ASK", "ADJUSTED_LAST"].contains(show) else {
            sendError(to: session, requestID, 321, "Error validating request.-'bX' : cause - Invalid what to show '\(request.whatToShow)'")
            return
        }
        if show == "TRADES" && type == .forex {
            sendError(to: session, requestID, 162,
                "Historical Market Data Service error message:No historical market data for \(listing.instrument.symbol)/CASH@IDEALPRO TRADES: FX has MIDPOINT, BID, ASK and BID_ASK")
            return
        }
        let intraday = barSeconds < 86_400
        if intraday, case let .calendarDays(days) = span, days > 31 {
            sendError(to: session, requestID, 162,
                "Historical Market Data Service error message:Time length exceed max. Intraday bars go back at most 1 M")
            return
        }
        // The look back this simulator makes (HistoryMaker.sessions): a year of days, and no silent truncation.
        let calendarDays = switch span {
        case let .seconds(n): n / 86_400 + 1
        case let .tradingDays(n): n * 7 / 5 + 1
        case let .calendarDays(n): n
        }
        if calendarDays > 380 {
            sendError(to: session, requestID, 162,
                "Historical Market Data Service error message:Time length exceed max. This simulator's bars go back at most 1 Y")
            return
        }
        let key = HistoryDesk.RequestKey(
            conId: listing.conId, exchange: request.contract.exchange, whatToShow: show,
            terms: "\(request.endDateTime)|\(request.barSize)|\(request.duration)|\(request.useRTH)|\(request.formatDate)|\(request.keepUpToDate)")
        if let refusal = history.admit(key, at: Date().timeIntervalSince1970, limits: configuration.historicalPacing) {
            sendError(to: session, requestID, 162, refusal)
            return
        }
        let bars = historicalBars(listing, span: span, barSeconds: barSeconds, end: end, show: show)
        let startTime = bars.first.map { Double($0.start) } ?? end
        let format = BarTimeFormat(formatDate: request.formatDate)
        let startText = format.requestEdge(startTime)
        let endText = format.requestEdge(end)
        session.send(HistoricalData(
            requestID: requestID, startDate: startText, endDate: endText,
            bars: bars.map { format.bar($0.bar, day: $0.day, trades: show == "TRADES" || show == "ADJUSTED_LAST", lot: walk(for: listing).lot) }))
        if session.serverVersion >= ServerVersion.historicalDataEnd {
            session.send(HistoricalDataEnd(requestID: requestID, startDate: startText, endDate: endText))
        }
        if request.keepUpToDate {
            history.keep(HistoryDesk.Live(
                sessionID: session.id, requestID: requestID, symbol: listing.instrument.symbol, request: request))
            rotationIsCurrent = false
        }
    }

    /// The bars of a checked request, oldest first.
    func historicalBars(
        _ listing: SymbolUniverse.Listing, span: HistoryQuery.Span, barSeconds: Int, end: Double, show: String
    ) -> [(start: Int, day: Bool, bar: MinuteBars.Bar)] {
        let walk = walk(for: listing)
        let type = listing.instrument.securityType
        let maker = HistoryMaker(
            instrument: listing.instrument, minTick: walk.minTick, lot: walk.lot, hasTrades: walk.hasTrades,
            dailyVolume: walk.dailyVolume,
            dailyVolatility: listing.dailyVolatility ?? configuration.volatility.of(type), seed: configuration.seed)
        let now = simulatedTime
        let price = walk.hasTrades ? walk.last : walk.midpoint
        let today = HistoryMaker.Today(
            open: walk.open, high: max(walk.high, price), low: min(walk.low, price), price: price,
            previousClose: walk.close, recorded: minuteBars[listing.instrument.symbol]?.bars ?? [])
        // The walk's day is the latest session that has begun: what its open, range and close describe.
        let walkDay = maker.sessions(before: now, limit: 1, since: now - 10 * 86_400).first
        let limit: Int
        let since: Double
        switch span {
        case let .seconds(n): limit = 400; since = end - Double(n)
        case let .tradingDays(n): limit = min(n, 400); since = 0
        case let .calendarDays(n): limit = 400; since = end - Double(n) * 86_400
        }
        // Sessions between the end asked for and the walk's day come first in the chain too.
        let after = walkDay.map { max(0, Int((Double($0.end) - end) / 86_400) + 1) } ?? 0
        var sessions = walkDay.map { maker.sessions(before: Double($0.end), limit: limit + after, since: since) } ?? []
        // From the walk's day back, so the chain of closes starts at the walk; then only the span asked for.
        let needed = sessions.filter { Double($0.start) < end && Double($0.end) > since }
        guard let oldest = needed.prefix(limit).last, let oldestIndex = sessions.firstIndex(where: { $0.key == oldest.key })
        else { return [] }
        sessions = Array(sessions.prefix(oldestIndex + 1))
        let minutes = maker.minutes(of: sessions, today: today, walkDay: walkDay?.key, now: now)
        let wanted = Set(needed.prefix(limit).map(\.key))
        let kept = zip(sessions.reversed(), minutes).filter { wanted.contains($0.0.key) }.map(\.1)
        let from: Double = if case .seconds = span { since } else { 0 }
        return HistoryMaker.bars(kept, seconds: barSeconds, from: from, to: min(end, now + 60))
    }

    /// Once a second: each keepUpToDate request's newest bar, when it changed since it was last sent.
    func sendHistoryUpdates() {
        guard ticksFlowing else { return }
        for (index, live) in history.live.enumerated() {
            guard let session = sessions[live.sessionID], let listing = listing(for: live.request.contract),
                  let barSeconds = HistoryQuery.barSeconds(live.request.barSize)
            else { continue }
            let show = live.request.whatToShow.uppercased()
            // The forming bar only: two bars' length ending now holds all of it.
            let span: HistoryQuery.Span = barSeconds >= 86_400 ? .tradingDays(1) : .seconds(2 * barSeconds)
            let newest = historicalBars(
                listing, span: span, barSeconds: barSeconds, end: simulatedTime, show: show
            ).last
            guard let newest else { continue }
            let format = BarTimeFormat(formatDate: live.request.formatDate)
            let bar = format.bar(newest.bar, day: newest.day, trades: show == "TRADES" || show == "ADJUSTED_LAST", lot: walk(for: listing).lot)
            let fingerprint = "\(bar)"
            guard fingerprint != live.lastSent else { continue }
            history.update(index, sent: fingerprint, at: simulatedTime)
            session.send(HistoricalDataUpdate(requestID: live.requestID, bar: bar))
            session.flush()
        }
    }

    func headTimestamp(_ request: RequestHeadTimestamp, on session: SimulatorSession) {
        guard let listing = listing(for: request.contract) else {
            sendError(to: session, request.requestID, 200, "No security definition has been found for the request")
            return
        }
        // A fixed early date per kind of listing: the simulator's history reaches back that far.
        let first: Double = switch listing.instrument.securityType {
        case .stock, .index, .future: 345_479_400  // 1980-12-12 14:30 UTC, 09:30 New York
        case .forex: 1_104_789_600  // 2005-01-03 22:00 UTC, the first FX session of 2005
        case .crypto: 1_533_283_200  // 2018-08-03
        case .option: simulatedTime - 90 * 86_400
        }
        let format = BarTimeFormat(formatDate: request.formatDate)
        session.send(HeadTimestamp(requestID: request.requestID, timestamp: format.requestEdge(first)))
    }
}

/// How bar times travel: TWS's text in New York time with its zone name, or Unix seconds (formatDate 2); daily
/// bars as `yyyyMMdd` either way.
struct BarTimeFormat {
    let epochSeconds: Bool
    private let formatter: DateFormatter
    private let dayFormatter: DateFormatter

    init(formatDate: Int) {
        epochSeconds = formatDate == 2
        formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TradingCalendar.newYork.timeZone
        formatter.dateFormat = "yyyyMMdd HH:mm:ss"
        dayFormatter = DateFormatter()
        dayFormatter.locale = Locale(identifier: "en_US_POSIX")
        dayFormatter.timeZone = TradingCalendar.newYork.timeZone
        dayFormatter.dateFormat = "yyyyMMdd"
    }

    func time(_ seconds: Double) -> String {
        if epochSeconds { return String(Int(seconds)) }
        return formatter.string(from: Date(timeIntervalSince1970: seconds)) + " US/Eastern"
    }

    /// The start and end of a request, and a head timestamp.
    func requestEdge(_ seconds: Double) -> String { time(seconds) }

    func bar(_ bar: MinuteBars.Bar, day: Bool, trades: Bool, lot: Double) -> HistoricalBar {
        let label = day ? dayFormatter.string(from: Date(timeIntervalSince1970: Double(bar.minute))) : time(Double(bar.minute))
        let wap = PriceWalk.round((bar.high + bar.low + bar.close) / 3, to: 0.0001)
        return HistoricalBar(
            time: label, open: bar.open, high: bar.high, low: bar.low, close: bar.close,
            volume: trades ? bar.volume : -1, wap: trades ? wap : -1,
            barCount: trades ? Int((bar.volume / lot / 3).rounded(.up)) : -1)
    }
}
