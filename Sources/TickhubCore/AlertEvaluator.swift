/// The alert rules in force, indexed by symbol, and what each has seen: evaluating a quote costs in proportion to
/// that symbol's rules alone.
///
/// A value type without locks: its owner (one per shard, or one behind an actor) feeds it the quotes in order.
/// A quote is evaluated only if it can be vouched for: never when stale, and when delayed only for the rules that
/// allow it. A quote not evaluated leaves every rule's memory as it was, so a crossing is always between two
/// evaluated prices.
public struct AlertEvaluator: Sendable {
    /// Why a tenth of a percent: after firing, a rule re-arms (and a `crosses` rule counts the next crossing) only
    /// once the price has gone back past the level by this fraction of it. A price dithering on the level by a tick or
    /// two (0.01 on a 100 stock is 0.01 %, a tick on BTC near 90 000 is far less) then fires once, while a real move
    /// back (0.10 on a 100 stock) re-arms. A fraction rather than a tick because the rule engine does not know the
    /// instrument's tick, and because it scales with the level for every instrument alike.
    public static let rearmBand = 0.001

    struct Watch: Sendable {
        var rule: AlertRule
        /// For above/below/changePercent: whether the next time the condition holds may fire.
        var armed = true
        /// For crosses: the side of the level the last evaluated price was on, nil before one or when on the level.
        var side: Side?
        /// For crosses: a firing happened, so the next crossing must clear the level by the band.
        var needsBand = false
        var lastFiredAt: Int64?
        /// The base of a `changePercent` rule measured from creation.
        var base: Double?

        var memory: AlertMemory {
            AlertMemory(armed: armed, side: side.map { $0 == .above ? .above : .below }, needsBand: needsBand,
                        lastFiredAt: lastFiredAt, base: base)
        }

        mutating func remember(_ memory: AlertMemory) {
            armed = memory.armed
            side = memory.side.map { $0 == .above ? .above : .below }
            needsBand = memory.needsBand
            lastFiredAt = memory.lastFiredAt
            base = memory.base ?? base
        }
    }

    enum Side: Sendable { case above, below }

    private var watches: [String: [Watch]] = [:]
    private var symbolOfRule: [String: String] = [:]

    /// How many rule watches evaluations have looked at, all told: what an evaluation costs.
    public private(set) var rulesExamined = 0

    public init() {}

    public var count: Int { symbolOfRule.count }

    public var rules: [AlertRule] { watches.values.flatMap { $0.map(\.rule) } }

    public func rules(for symbol: String) -> [AlertRule] { watches[symbol]?.map(\.rule) ?? [] }

    /// Adds (or replaces, by id) a rule. With the symbol's current quote, an `above`, `below` or `changePercent`
    /// rule whose condition already holds fires at once, and a `crosses` rule learns which side the price is on.
    /// `memory` is what the rule had seen before (a previous run's), nil for a new rule.
    public mutating func add(_ rule: AlertRule, memory: AlertMemory? = nil, current quote: Quote? = nil, now: Timestamp) -> AlertFired? {
        remove(id: rule.id)
        var watch = Watch(rule: rule, base: rule.referencePrice)
        if let memory { watch.remember(memory) }
        let fired = quote.flatMap { $0.symbol == rule.symbol ? Self.evaluate(&watch, $0, now: now.milliseconds) : nil }
        watches[rule.symbol, default: []].append(watch)
        symbolOfRule[rule.id] = rule.symbol
        return fired
    }

    /// Removes a rule; returns it, or nil if it was not there.
    @discardableResult
    public mutating func remove(id: String) -> AlertRule? {
        guard let symbol = symbolOfRule.removeValue(forKey: id), var list = watches[symbol],
              let index = list.firstIndex(where: { $0.rule.id == id })
        else { return nil }
        let removed = list.remove(at: index).rule
        watches[symbol] = list.isEmpty ? nil : list
        return removed
    }

    /// What the rule with `id` has seen, nil if there is no such rule.
    public func memory(of id: String) -> AlertMemory? {
        guard let symbol = symbolOfRule[id] else { return nil }
        return watches[symbol]?.first { $0.rule.id == id }?.memory
    }

    /// Evaluates the rules of `quote.symbol` against it. Returns the firings, in the order the rules were added.
    /// Rules whose expiry has passed are dropped from the index and never fire.
    public mutating func evaluate(_ quote: Quote, now: Timestamp) -> [AlertFired] {
        var unused: [(id: String, memory: AlertMemory)]? = nil
        return evaluate(quote, now: now, noting: &unused)
    }

    /// The same, and the rules whose memory the quote changed (a firing, a re-arm, a side taken), appended to
    /// `changed`, so that their owner can keep them without comparing every rule after every quote.
    public mutating func evaluate(_ quote: Quote, now: Timestamp, changed: inout [(id: String, memory: AlertMemory)]) -> [AlertFired] {
        var noting: [(id: String, memory: AlertMemory)]? = changed
        changed = []  // the one reference left is `noting`'s, so appending does not copy
        defer { changed = noting ?? [] }
        return evaluate(quote, now: now, noting: &noting)
    }

    private mutating func evaluate(_ quote: Quote, now: Timestamp, noting changed: inout [(id: String, memory: AlertMemory)]?) -> [AlertFired] {
        guard let slot = watches.index(forKey: quote.symbol) else { return [] }
        let time = now.milliseconds
        var fired: [AlertFired] = []
        var expired = false
        let count = watches.values[slot].count
        rulesExamined += count
        // In place: the symbol's watches are neither copied nor their rules retained on a quote that fires nothing.
        for index in 0..<count {
            if let expiresAt = watches.values[slot][index].rule.expiresAt, time >= expiresAt {
                expired = true
                continue
            }
            let before = changed == nil ? nil : watches.values[slot][index].memory
            if let firing = Self.evaluate(&watches.values[slot][index], quote, now: time) { fired.append(firing) }
            if let before {
                let after = watches.values[slot][index].memory
                if before != after { changed?.append((watches.values[slot][index].rule.id, after)) }
            }
        }
        if expired { dropExpired(of: quote.symbol, at: time) }
        return fired
    }

    /// Rules whose expiry has passed leave the index.
    private mutating func dropExpired(of symbol: String, at time: Int64) {
        guard let list = watches[symbol] else { return }
        var kept: [Watch] = []
        for watch in list {
            if watch.rule.hasExpired(at: time) { symbolOfRule[watch.rule.id] = nil } else { kept.append(watch) }
        }
        watches[symbol] = kept.isEmpty ? nil : kept
    }

    static func evaluate(_ watch: inout Watch, _ quote: Quote, now: Int64) -> AlertFired? {
        // The rule's plain fields, read one by one: a copy of the rule would retain its strings and targets.
        let condition = watch.rule.condition, level = watch.rule.level
        guard !quote.stale, !quote.delayed || watch.rule.allowDelayed, watch.rule.expiresAt.map({ now < $0 }) ?? true,
              let price = quote.price, price.isFinite
        else { return nil }
        // Saturating: a cooldown of years is valid input and must not overflow into a trap.
        let (cooldown, overflow) = Int64(clamping: watch.rule.cooldownSeconds).multipliedReportingOverflow(by: 1_000)
        let coolingDown = watch.lastFiredAt.map { overflow || now &- $0 < cooldown } ?? false

        let holds: Bool
        switch condition {
        case .above:
            holds = rearmed(&watch, price: price, threshold: level, rising: true)
        case .below:
            holds = rearmed(&watch, price: price, threshold: level, rising: false)
        case .changePercent:
            guard let threshold = changeThreshold(&watch, quote: quote, price: price) else { return nil }
            holds = rearmed(&watch, price: price, threshold: threshold, rising: level > 0)
        case .crosses:
            holds = crossed(&watch, price: price, level: level)
        }
        guard holds, !coolingDown else { return nil }
        if condition != .crosses { watch.armed = false }
        watch.needsBand = condition == .crosses
        watch.lastFiredAt = now
        return AlertFired(id: watch.rule.id, symbol: watch.rule.symbol, condition: condition, level: level, price: price,
                          time: now)
    }

    /// Whether a "holds while past the threshold" condition may fire now: re-arms the watch once the price is back
    /// beyond the threshold by the band, then answers whether the price is past the threshold and the watch armed.
    static func rearmed(_ watch: inout Watch, price: Double, threshold: Double, rising: Bool) -> Bool {
        let band = abs(threshold) * rearmBand
        if rising {
            if price <= threshold - band { watch.armed = true }
            return watch.armed && price > threshold
        } else {
            if price >= threshold + band { watch.armed = true }
            return watch.armed && price < threshold
        }
    }

    /// The price at which the change from the rule's base reaches its percentage; nil while no base is known.
    static func changeThreshold(_ watch: inout Watch, quote: Quote, price: Double) -> Double? {
        let base: Double?
        switch watch.rule.reference {
        case .previousClose:
            base = quote.close
        case .creation:
            if watch.base == nil { watch.base = price }
            base = watch.base
        }
        guard let base, base.isFinite, base > 0 else { return nil }
        return base * (1 + watch.rule.level / 100)
    }

    /// Whether the price has moved to the other side of the level since the last evaluated price. After a firing,
    /// the move must clear the level by the band, so a price dithering on it fires once.
    static func crossed(_ watch: inout Watch, price: Double, level: Double) -> Bool {
        let band = watch.needsBand ? abs(level) * rearmBand : 0
        let now: Side?
        switch watch.side {
        case .above: now = price < level - band ? .below : .above
        case .below: now = price > level + band ? .above : .below
        case nil: now = price > level ? .above : price < level ? .below : nil
        }
        defer { watch.side = now }
        guard let before = watch.side, let now else { return false }
        return before != now
    }
}
