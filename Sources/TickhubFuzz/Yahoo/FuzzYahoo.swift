import Foundation
import FuzzSupport
import ProviderParsing
import TickhubCore

// fuzz-yahoo: Yahoo Finance responses through YahooParsing.parseChart (v8 chart) and parseQuotes (v7 quote), and
// each quote they give through YahooQuote.quote(for:), as YahooProvider uses them.
//
// Input: [form][status][content type][symbols asked] then the body. Form bit 0: chart (0) or v7 (1); bit 1: the body
// is an error-envelope program (ErrorEnvelope.swift) rather than the bytes themselves; the bits above: the interval
// a chart is read as bars of (`BarInterval.allCases`, modulo their count). The status, content type and asked
// symbols are picked from `statuses`, `contentTypes` and `askedSymbols` (one bit per symbol).
//
// Checked on every response:
// - nothing traps, whatever the bytes, status or content type; the quote's stale decision at any clock neither;
// - a quote comes only from a 2xx JSON answer; a 429 is always `rateLimited`, `unauthorized` only from 401/403 or an
//   error envelope saying so;
// - every quote has a finite price and finite optional values, minor currencies converted (no `GBp` left), a delay
//   of zero or more minutes, bars with finite values, `receivedAt` the parser's clock;
// - the Tickhub quote made from it is for the symbol asked, from `yahoo`, stamped at the market time, its last the
//   price, bid and ask passed on only as an uncrossed book with a positive bid, sizes only when positive;
// - v7: every symbol asked has an outcome (under its own spelling or Yahoo's), each quote is filed under its own
//   symbol, and the outcome the provider picks for an instrument is about that instrument;
// - envelopes: `{"<root>":{"result":null,"error":{"code":…,"description":…}}}` is classified by its status and code
//   as the parser documents (not found → unknownSymbol, unauthorized/forbidden → unauthorized, too many requests
//   → rateLimited, anything else unavailable), with Yahoo's description as the message;
// - a chart read as bars (BarChecks.swift): classified as its quote is, only drawable bars, in order, daily ones on
//   00:00 UTC, intraday ones the chart's own rows, half hours folded into clock hours.

let statuses = [200, 200, 200, 201, 404, 401, 403, 429, 500, 503, 302, 400, 422, 0, 999]
let contentTypes: [String?] = ["application/json;charset=utf-8", "application/json", nil, "text/html; charset=utf-8", "text/plain"]
/// (Tickhub symbol, Yahoo's spelling of it).
let askedSymbols: [(String, String)] = ["AAPL", "MSFT", "BABA", "EUR.USD", "USD.JPY", "BTC", "BRK B", "SPY 250321P00250000"].compactMap {
    guard let instrument = try? SymbolGrammar.parse($0), let yahoo = ProviderSymbols.yahooSymbol(for: instrument) else { return nil }
    return (instrument.symbol, yahoo)
}
/// The parser's clock, ms: the recordings' time (March 2025), so that their quotes are neither stale nor future.
let now: Int64 = 1_742_824_293_000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let form = input.byte()
    let status = input.pick(statuses)
    let contentType = input.pick(contentTypes)
    let mask = input.byte()
    let asked = askedSymbols.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element)
    let isChart = form & 1 == 0

    var envelope: ErrorEnvelope?
    let body: Data
    if form & 2 != 0 {
        let program = ErrorEnvelope(&input)
        envelope = program
        body = Data(program.json.utf8)
    } else {
        body = Data(input.rest())
    }

    if isChart {
        let outcome = YahooParsing.parseChart(status: status, contentType: contentType, body: body, now: now)
        checkClassification(outcome, status: status, contentType: contentType, body: body)
        if case let .quote(quote) = outcome {
            // The chart is asked one symbol at a time: any of them could be the one.
            for (symbol, _) in askedSymbols.prefix(3) { checkQuote(quote, for: symbol) }
        }
        let interval = BarInterval.allCases[Int(form >> 2) % BarInterval.allCases.count]
        let bars = YahooParsing.parseChartBars(status: status, contentType: contentType, body: body, interval: interval)
        checkBars(bars, interval: interval, quote: outcome, status: status, contentType: contentType)
        if let envelope, !(contentType?.contains("html") ?? false) {
            let expected = envelope.expected(status: status, v7: false)
            invariant(outcome == expected, "\(envelope.json) with HTTP \(status) gave \(outcome), not \(expected)")
            invariant(bars == YahooChartBarsOutcome(expected), "\(envelope.json) with HTTP \(status) gave bars outcome \(bars)")
        }
    } else {
        let outcome = YahooParsing.parseQuotes(
            status: status, contentType: contentType, body: body, requested: asked.map(\.1), now: now)
        checkBatch(outcome, asked: asked, status: status, contentType: contentType, body: body)
        if let envelope, !(contentType?.contains("html") ?? false) {
            let expected = YahooBatchOutcome(envelope.expected(status: status, v7: true))
            invariant(outcome == expected, "\(envelope.json) with HTTP \(status) gave \(outcome), not \(expected)")
        }
    }
    return 0
}

#if !TICKHUB_FUZZING
@main enum ReplayMain {
    static func main() { Replay.run(fuzz) }
}
#endif
