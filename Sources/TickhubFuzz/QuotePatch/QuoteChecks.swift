import FuzzSupport
import TickhubCore

/// What `QuotePatch.applied` promises, field by field, from the patch and the quote before it.
func checkApplied(_ patch: QuotePatch, to previous: Quote?, receivedAt: Int64, gives quote: Quote) {
    for field in patchFields {
        let expected = patch[keyPath: field.patch] ?? previous?[keyPath: field.quote] ?? nil
        invariant(same(quote[keyPath: field.quote], expected),
                  "\(field.name) is \(String(describing: quote[keyPath: field.quote])) after a patch of \(String(describing: patch[keyPath: field.patch])) on \(String(describing: previous?[keyPath: field.quote]))")
    }
    invariant(quote.symbol == patch.symbol, "a patch for \(patch.symbol) made a quote for \(quote.symbol)")
    invariant(quote.source == .push, "a pushed quote says it came from \(quote.source)")
    invariant(quote.sourceTime == patch.sourceTime, "sourceTime \(String(describing: quote.sourceTime)) for \(String(describing: patch.sourceTime))")
    let stamp = (patch.sourceTime ?? receivedAt) / 1_000
    invariant(quote.timestamp == stamp, "timestamp \(quote.timestamp), expected \(stamp)")
    let setsLast = patch.last.map { $0 != nil } ?? false
    let lastTrade = setsLast ? stamp : previous?.lastTradeTime
    invariant(quote.lastTradeTime == lastTrade, "lastTradeTime \(String(describing: quote.lastTradeTime)), expected \(String(describing: lastTrade))")
    let delayed = patch.delayed ?? previous?.delayed ?? false
    invariant(quote.delayed == delayed, "delayed \(quote.delayed) after \(String(describing: patch.delayed)) on \(String(describing: previous?.delayed))")
    invariant(quote.stale == (patch.stale ?? false), "stale \(quote.stale) after \(String(describing: patch.stale))")
}

/// The computed properties clients read (midpoint, price, change) against the fields they come from.
func checkDerived(_ quote: Quote) {
    let uncrossed = quote.bid.flatMap { bid in quote.ask.map { ask in bid > 0 && ask >= bid } } ?? false
    if let midpoint = quote.midpoint {
        invariant(uncrossed, "a midpoint \(midpoint) for bid \(String(describing: quote.bid)), ask \(String(describing: quote.ask))")
        invariant(quote.bid! <= midpoint && midpoint <= quote.ask!,
                  "midpoint \(midpoint) is outside bid \(quote.bid!) and ask \(quote.ask!)")
    } else {
        invariant(!uncrossed, "no midpoint for bid \(quote.bid!), ask \(quote.ask!)")
    }
    invariant(same(quote.price, quote.last ?? quote.midpoint), "price \(String(describing: quote.price)) for last \(String(describing: quote.last))")
    let hasChange = quote.price != nil && quote.close != nil && quote.close != 0
    invariant((quote.change != nil) == hasChange, "change \(String(describing: quote.change)) for price \(String(describing: quote.price)), close \(String(describing: quote.close))")
    invariant((quote.changePercent != nil) == hasChange, "changePercent \(String(describing: quote.changePercent)) for change \(String(describing: quote.change))")
    invariant(quote.hasPrice == (quote.bid != nil || quote.ask != nil || quote.last != nil), "hasPrice \(quote.hasPrice) for \(quote)")
}
