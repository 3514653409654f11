import Foundation
import FuzzSupport
import ProviderParsing
import TickhubCore

/// Where an outcome may come from: the status and the body's form.
func checkClassification(_ outcome: YahooOutcome, status: Int, contentType: String?, body: Data) {
    let html = contentType?.lowercased().contains("html") ?? false
    switch outcome {
    case .quote:
        invariant((200..<300).contains(status) && !html, "a quote from HTTP \(status), \(contentType ?? "no content type")")
    case .rateLimited:
        break
    case .unauthorized:
        invariant(status == 401 || status == 403 || (200..<300).contains(status), "unauthorized from HTTP \(status)")
    case .unknownSymbol:
        invariant(status == 404 || (200..<300).contains(status), "an unknown symbol from HTTP \(status)")
    case .unavailable:
        break
    }
    if status == 429 { invariant(outcome == .rateLimited, "HTTP 429 gave \(outcome)") }
}

/// A v7 answer: the classification, and each symbol's outcome.
func checkBatch(_ outcome: YahooBatchOutcome, asked: [(String, String)], status: Int, contentType: String?, body: Data) {
    if status == 429 { invariant(outcome == .rateLimited, "HTTP 429 gave \(outcome)") }
    guard case let .quotes(outcomes) = outcome else {
        if case .unauthorized = outcome {
            invariant(status == 401 || status == 403 || (200..<300).contains(status), "unauthorized from HTTP \(status)")
        }
        return
    }
    invariant((200..<300).contains(status), "v7 quotes from HTTP \(status)")
    let keys = Set(outcomes.keys.map { $0.uppercased() })
    for (symbol, yahoo) in asked {
        invariant(keys.contains(yahoo.uppercased()), "\(yahoo) was asked for and has no outcome")
        let instrument = try! SymbolGrammar.parse(symbol)
        // As YahooProvider.pollBatch picks the outcome for an instrument.
        let picked = outcomes[yahoo] ?? outcomes.first { ProviderSymbols.yahooSymbol($0.key, matches: instrument) }?.value
        if case let .quote(quote)? = picked {
            invariant(quote.symbol == yahoo || ProviderSymbols.yahooSymbol(quote.symbol, matches: instrument),
                      "the quote picked for \(symbol) is Yahoo's \(quote.symbol)")
            checkQuote(quote, for: symbol)
        }
    }
    for (key, result) in outcomes {
        invariant(!key.isEmpty, "an outcome for an empty symbol")
        if case let .quote(quote) = result {
            invariant(quote.symbol == key, "the quote for \(quote.symbol) is filed under \(key)")
            checkQuote(quote, for: askedSymbols[0].0)
        }
    }
}

/// One parsed quote, and the Tickhub quote the provider makes of it.
func checkQuote(_ yahoo: YahooQuote, for symbol: String) {
    invariant(yahoo.price.isFinite, "price \(yahoo.price)")
    for (name, value) in [("open", yahoo.open), ("dayHigh", yahoo.dayHigh), ("dayLow", yahoo.dayLow), ("volume", yahoo.volume),
                          ("previousClose", yahoo.previousClose), ("bid", yahoo.bid), ("ask", yahoo.ask),
                          ("bidSize", yahoo.bidSize), ("askSize", yahoo.askSize)] {
        if let value { invariant(value.isFinite, "\(name) \(value)") }
    }
    for bar in yahoo.bars {
        for value in [bar.open, bar.high, bar.low, bar.close, bar.volume] {
            if let value { invariant(value.isFinite, "a bar at \(bar.time) holds \(value)") }
        }
    }
    if let currency = yahoo.currency {
        invariant(YahooParsing.minorCurrencies[currency] == nil, "currency \(currency) left in minor units")
    }
    invariant(yahoo.delayMinutes >= 0, "a delay of \(yahoo.delayMinutes) minutes")
    invariant(yahoo.receivedAt == .milliseconds(now), "receivedAt \(yahoo.receivedAt), the clock said \(now)")

    // The provider's clock may be anywhere around the market time; the stale decision must hold at all of them.
    for clock in [now, yahoo.marketTime, now + 86_400_000 * 365 * 50, 0] {
        for poll in [Duration.seconds(1), .seconds(15), .seconds(3_600)] {
            _ = yahoo.isStale(now: clock, pollInterval: poll)
        }
    }
    let quote = yahoo.quote(for: symbol)
    invariant(quote.symbol == symbol, "the quote for \(symbol) is for \(quote.symbol)")
    invariant(quote.source == .yahoo, "a Yahoo quote says it came from \(quote.source)")
    invariant(quote.timestamp == yahoo.marketTime, "stamped \(quote.timestamp), the market time is \(yahoo.marketTime)")
    invariant(quote.last == yahoo.price, "last \(String(describing: quote.last)) for price \(yahoo.price)")
    invariant(quote.delayed == yahoo.isDelayed, "delayed \(quote.delayed)")
    if quote.bid != nil || quote.ask != nil {
        guard let bid = quote.bid, let ask = quote.ask else { violated("one side of the book: \(quote)") }
        invariant(bid > 0 && ask >= bid, "passed on the book \(bid) / \(ask)")
    }
    for size in [quote.bidSize, quote.askSize] {
        if let size { invariant(size > 0, "passed on a size of \(size)") }
    }
}
