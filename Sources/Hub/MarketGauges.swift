import TickhubCore

/// What `/metrics` shows of the market and its providers, as the answering shard sees them (every shard holds the
/// same book and providers' state): read at scrape time, nothing kept.
struct MarketGauges: Sendable {
    /// Symbols with a quote in the book, and symbols the hub follows upstream.
    var symbols = 0
    var followed = 0
    /// Followed symbols whose quote is marked stale (no provider keeps it live).
    var staleSymbols = 0
    /// The age of the oldest quote still presented as live, from its source's timestamp; nil with no live quote.
    var oldestLiveQuoteAgeSeconds: Double?
    var providers: [ProviderHealth] = []
    /// IBKR's market-data lines: held, and the most Tickhub may hold; nil without a broker link.
    var lines: (inUse: Int, budget: Int)?

    func render(into out: inout PrometheusExposition) {
        out.family("tickhub_symbols", .gauge, "Symbols with a known quote.", symbols)
        out.family("tickhub_followed_symbols", .gauge, "Symbols the hub follows upstream.", followed)
        out.family("tickhub_stale_symbols", .gauge, "Followed symbols whose quote no provider keeps live (marked stale).", staleSymbols)
        if let age = oldestLiveQuoteAgeSeconds {
            out.family("tickhub_oldest_live_quote_age_seconds", .gauge,
                       "Age of the oldest quote presented as live, from its source's timestamp.", age)
        }
        // A state set per provider: one series per state, 1 for the state it is in; and whether it can serve at all.
        out.family("tickhub_provider_state", .gauge, "Provider state: 1 for the state the provider is in, 0 for the others.",
                   providers.flatMap { report in
                       ProviderState.allCases.map { state in
                           ([("provider", report.name.rawValue), ("state", state.rawValue)], report.state == state ? 1.0 : 0)
                       }
                   })
        out.family("tickhub_provider_available", .gauge, "1 while the provider can serve quotes, 0 while it cannot (down, rate-limited, disabled).",
                   providers.map { ([("provider", $0.name.rawValue)], $0.available ? 1.0 : 0) })
        if let lines {
            out.family("tickhub_ibkr_market_data_lines", .gauge, "IBKR market-data lines held, as IBKR's latest status (every 2 s) says.", lines.inUse)
            out.family("tickhub_ibkr_market_data_line_budget", .gauge, "IBKR market-data lines Tickhub may hold (ibkr.lineBudget).", lines.budget)
        }
    }
}

extension FanoutHub {
    /// The market and providers now, for `/metrics`.
    func marketGauges() -> MarketGauges {
        let followed = interest.union.followed
        let nowMillis = clock.nowMicros() / 1_000
        var gauges = MarketGauges(symbols: market.book.count, followed: followed.count, providers: providerReports())
        for symbol in followed {
            guard let quote = market.book[symbol]?.quote else { continue }
            if quote.stale {
                gauges.staleSymbols += 1
            } else {
                let age = Double(max(0, nowMillis - quote.timestamp)) / 1_000
                gauges.oldestLiveQuoteAgeSeconds = max(gauges.oldestLiveQuoteAgeSeconds ?? 0, age)
            }
        }
        if let status = brokerStatus { gauges.lines = (status.linesInUse, status.lineBudget) }
        return gauges
    }
}
