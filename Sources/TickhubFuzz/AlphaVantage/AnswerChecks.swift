import FuzzSupport
import ProviderParsing
import TickhubCore

/// A GLOBAL_QUOTE, and the Tickhub quote the provider makes of it.
func checkQuote(_ av: AlphaVantageQuote) {
    invariant(!av.symbol.isEmpty && av.symbol == av.symbol.trimmingCharacters(in: .whitespaces), "symbol \(av.symbol.debugDescription)")
    invariant(av.price.isFinite, "price \(av.price)")
    for (name, value) in [("open", av.open), ("high", av.high), ("low", av.low), ("volume", av.volume),
                          ("previousClose", av.previousClose), ("change", av.change), ("changePercent", av.changePercent)] {
        if let value { invariant(value.isFinite, "\(name) \(value)") }
    }
    invariant(AlphaVantageParsing.sessionCloseMillis(av.latestTradingDay) == av.sessionClose,
              "trading day \(av.latestTradingDay.debugDescription) closes at \(av.sessionClose)")
    // Floored: trading days before 1970 close at negative times.
    let timeOfDay = ((av.sessionClose / 1_000) % 86_400 + 86_400) % 86_400
    invariant(av.sessionClose % 1_000 == 0 && (timeOfDay == 20 * 3_600 || timeOfDay == 21 * 3_600),
              "\(av.latestTradingDay) closes at \(av.sessionClose) ms, not 16:00 New York")

    for symbol in ["IBM", "BRK B"] {
        for latest in [true, false] {
            let quote = av.quote(for: symbol, isLatestSession: latest)
            invariant(quote.symbol == symbol, "the quote for \(symbol) is for \(quote.symbol)")
            invariant(quote.source == .alphaVantage && quote.delayed, "source \(quote.source), delayed \(quote.delayed)")
            invariant(quote.stale == !latest, "stale \(quote.stale) for the latest session: \(latest)")
            invariant(quote.timestamp == av.sessionClose && quote.last == av.price, "\(quote) from \(av)")
        }
    }
}

func checkRedacted(_ texts: [String], key: String?) {
    guard let key, key.count >= 2 else { return }
    for text in texts { invariant(!text.contains(key), "the API key is in the message \(text.debugDescription)") }
}

func isUnavailable(_ outcome: AlphaVantageOutcome) -> Bool {
    if case .unavailable = outcome { return true }
    return false
}

func messages(of outcome: AlphaVantageOutcome) -> [String] {
    switch outcome {
    case let .rateLimited(_, message), let .error(message), let .unavailable(message): [message]
    case .quote, .unknownSymbol, .invalidKey: []
    }
}
