import TickhubCore

/// Merging the gateway's market data into a `Quote`, as TWS's ticks are merged: only the fields an update names
/// change, and a field named without a number is cleared rather than left showing its old value.
extension Quote {
    /// Applies `update`, stamping the quote at the gateway's `_updated` (else `receivedAt`, ms) when anything
    /// changed. Returns whether anything changed. A priming reply changes nothing.
    @discardableResult
    public mutating func apply(_ update: MarketDataUpdate, receivedAt: Int64) -> Bool {
        guard !update.isPriming else { return false }
        var changed = false
        func price(_ keyPath: WritableKeyPath<Quote, Double?>, _ field: MarketDataField) {
            // 0 and below mean "no price" here as in TWS's ticks (a shut market's empty book).
            guard let entry = update.values[field] else { return }
            changed = assign(keyPath, entry.flatMap { $0.value > 0 ? $0.value : nil }) || changed
        }
        func size(_ keyPath: WritableKeyPath<Quote, Double?>, _ field: MarketDataField) {
            guard let entry = update.values[field] else { return }
            changed = assign(keyPath, entry.flatMap { $0.value >= 0 ? $0.value : nil }) || changed
        }
        price(\.bid, .bid)
        price(\.ask, .ask)
        price(\.high, .high)
        price(\.low, .low)
        price(\.open, .open)
        price(\.close, .priorClose)
        size(\.bidSize, .bidSize)
        size(\.askSize, .askSize)
        size(\.lastSize, .lastSize)

        if let entry = update.values[.last] {
            if let read = entry, read.isPriorClose {
                // "C": no trade yet this session; the figure is yesterday's close, which is what `close` means.
                // Shown as `last` it would claim a trade that has not happened.
                changed = assign(\.last, nil) || changed
                if update.values[.priorClose] == nil, read.value > 0 { changed = assign(\.close, read.value) || changed }
            } else {
                changed = assign(\.last, entry.flatMap { $0.value > 0 ? $0.value : nil }) || changed
            }
        }

        // 7762 is exact; 87 is rounded once past a thousand ("1.2K"), so it stands in only when exact or when the
        // quote has no volume at all, and never replaces an exact figure with a rounded one.
        if let exact = update.values[.volumeLong] {
            changed = assign(\.volume, exact.flatMap { $0.value >= 0 ? $0.value : nil }) || changed
        } else if let formatted = update.values[.volume] {
            if let read = formatted, read.value >= 0 {
                if !read.isApproximate || volume == nil { changed = assign(\.volume, read.value) || changed }
            } else {
                changed = assign(\.volume, nil) || changed
            }
        }

        changed = applyGreeks(update) || changed

        if let availability = update.availability {
            if delayed != availability.isDelayed { delayed = availability.isDelayed; changed = true }
            // Frozen values are the close's, not the market's now: shown, marked, never as live.
            if stale != availability.isFrozen { stale = availability.isFrozen; changed = true }
        }
        if source != .ibkr { source = .ibkr; changed = true }
        if changed { timestamp = update.updated ?? receivedAt }
        return changed
    }

    private mutating func applyGreeks(_ update: MarketDataUpdate) -> Bool {
        let fields: [(MarketDataField, WritableKeyPath<OptionGreeks, Double?>, Double)] = [
            (.delta, \.delta, 1), (.gamma, \.gamma, 1), (.theta, \.theta, 1), (.vega, \.vega, 1),
            // IBKR writes implied volatility in percent; a quote keeps it as a fraction.
            (.impliedVolatility, \.impliedVolatility, 0.01),
        ]
        guard fields.contains(where: { update.values[$0.0] != nil }) else { return false }
        var computed = greeks ?? OptionGreeks()
        for (field, keyPath, scale) in fields {
            guard let entry = update.values[field] else { continue }
            computed[keyPath: keyPath] = entry.map { $0.value * scale }
        }
        let empty = OptionGreeks()
        let next: OptionGreeks? = computed == empty ? nil : computed
        guard next != greeks else { return false }
        greeks = next
        return true
    }

    private mutating func assign(_ keyPath: WritableKeyPath<Quote, Double?>, _ value: Double?) -> Bool {
        guard self[keyPath: keyPath] != value else { return false }
        self[keyPath: keyPath] = value
        return true
    }
}
