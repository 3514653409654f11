import Foundation
import FuzzSupport
import ProviderParsing
import TickhubCore

/// The chart read as bars (`YahooParsing.parseChartBars`), against the same response read as a quote.
///
/// - classified as the quote reader classifies the response (rate limit, refusal, unknown symbol), and as the
///   parser documents an error envelope;
/// - bars only from a 2xx JSON answer, each one a chart can draw (`Bar.isConsistent`, a volume of zero or more),
///   strictly oldest first; a daily bar at 00:00 UTC of a date; no currency left in minor units;
/// - an intraday bar is one of the chart's rows as the quote reader read it, with the same prices;
/// - half hours folded into hours (`YahooParsing.fold`) are drawable hours on the clock hour, in order.
func checkBars(_ outcome: YahooChartBarsOutcome, interval: BarInterval, quote: YahooOutcome, status: Int, contentType: String?) {
    let html = contentType?.lowercased().contains("html") ?? false
    if status == 429 { invariant(outcome == .rateLimited, "HTTP 429 gave bars outcome \(outcome)") }
    switch quote {
    case .rateLimited, .unauthorized:
        invariant(outcome == YahooChartBarsOutcome(quote), "the quote reader said \(quote), the bars reader \(outcome)")
    case let .unknownSymbol(message):
        invariant(outcome == .unknownSymbol(message), "the quote reader said \(quote), the bars reader \(outcome)")
    case .quote, .unavailable:
        break
    }
    guard case let .bars(chart) = outcome else {
        if case .unauthorized = outcome {
            invariant(status == 401 || status == 403 || (200..<300).contains(status), "unauthorized from HTTP \(status)")
        }
        return
    }
    invariant((200..<300).contains(status) && !html, "bars from HTTP \(status), \(contentType ?? "no content type")")
    invariant(chart.skipped >= 0, "\(chart.skipped) rows skipped")
    if let currency = chart.currency {
        invariant(YahooParsing.minorCurrencies[currency] == nil, "bars in \(currency), a minor unit")
    }
    for bar in chart.bars {
        invariant(bar.isConsistent, "an inconsistent bar passed on: \(bar)")
        if let volume = bar.volume { invariant(volume.isFinite && volume >= 0, "a volume of \(volume)") }
        if interval == .oneDay { invariant(bar.time % 86_400_000 == 0, "a daily bar at \(bar.time), not 00:00 UTC") }
    }
    for (older, newer) in zip(chart.bars, chart.bars.dropFirst()) {
        invariant(older.time < newer.time, "bars out of order or repeated: \(older.time) then \(newer.time)")
    }
    if interval == .thirtyMinutes {
        // As YahooProvider makes its hours: drawable, on the clock hour, in order, no more than the halves.
        let hours = YahooParsing.fold(chart.bars, into: .oneHour)
        invariant(hours.count <= chart.bars.count, "\(chart.bars.count) half hours folded into \(hours.count) hours")
        for hour in hours {
            invariant(hour.isConsistent && BarInterval.oneHour.start(of: hour.time) == hour.time, "a folded hour \(hour)")
        }
        for (older, newer) in zip(hours, hours.dropFirst()) {
            invariant(older.time < newer.time, "folded hours out of order: \(older.time) then \(newer.time)")
        }
    }
    guard interval != .oneDay, case let .quote(read) = quote else { return }
    // Of two rows with one start, the later one that makes a bar is the one kept (a row with a null price or
    // prices that contradict each other says nothing about the bar).
    var rows: [Int64: YahooBar] = [:]
    for row in read.bars {
        guard let open = row.open, let high = row.high, let low = row.low, let close = row.close,
              Bar(time: row.time, open: open, high: high, low: low, close: close).isConsistent
        else { continue }
        rows[row.time] = row
    }
    for bar in chart.bars {
        guard let row = rows[bar.time] else { violated("a bar at \(bar.time) that is no row of the chart") }
        invariant(row.open == bar.open && row.high == bar.high && row.low == bar.low && row.close == bar.close,
                  "the bar at \(bar.time) is \(bar), the row \(row)")
    }
}
