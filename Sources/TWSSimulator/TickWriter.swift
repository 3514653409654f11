import TWSProtocol
import TickhubCore

/// The TWS messages a walk's state makes for one subscription, with live or delayed tick ids, counted.
struct TickWriter {
    let walk: PriceWalk
    let requestID: Int
    let delayed: Bool
    let session: SimulatorSession
    private(set) var sent = 0

    init(walk: PriceWalk, requestID: Int, delayed: Bool, session: SimulatorSession) {
        self.walk = walk
        self.requestID = requestID
        self.delayed = delayed
        self.session = session
    }

    private func id(_ live: Int) -> Int { delayed ? TickType.delayedID[live] ?? live : live }

    private mutating func send(_ message: some TWSMessage) {
        session.send(message)
        sent += 1
    }

    private mutating func price(_ type: Int, _ price: Double, size: Double? = nil, attributes: Int = 0) {
        send(TickPrice(requestID: requestID, tickType: id(type), price: price, size: size, attributes: attributes))
    }

    private mutating func size(_ type: Int, _ size: Double) {
        send(TickSize(requestID: requestID, tickType: id(type), size: size))
    }

    mutating func bid() { price(TickType.bid, walk.bid, size: walk.bidSize, attributes: 1) }
    mutating func ask() { price(TickType.ask, walk.ask, size: walk.askSize, attributes: 1) }

    /// The last trade and its time.
    mutating func last() {
        price(TickType.last, walk.last, size: walk.lastSize)
        send(TickString(requestID: requestID, tickType: id(TickType.lastTimestamp), value: String(walk.lastTradeTime)))
    }

    mutating func volume() { size(TickType.volume, walk.volume) }
    mutating func high() { price(TickType.high, walk.high) }
    mutating func low() { price(TickType.low, walk.low) }

    /// The day's range, the previous close and today's open.
    mutating func statistics() {
        high()
        low()
        price(TickType.close, walk.close)
        price(TickType.open, walk.open)
    }

    /// tickOptionComputation for the bid, the ask, the last trade (the implied volatility their price gives, and
    /// the greeks at it; "not computed" when no volatility gives that price) or the model (its own volatility).
    mutating func optionComputation(_ type: Int) {
        guard let model = walk.model, let valuation = walk.valuation, let spot = walk.underlyingPrice,
              let years = walk.yearsToExpiry, let sigma = walk.modelVolatility
        else { return }
        let optionPrice: Double
        let volatility: Double?
        let greeks: BlackScholes.Valuation?
        switch type {
        case TickType.modelOptionComputation:
            optionPrice = walk.fair
            volatility = years > 0 ? sigma : nil
            greeks = valuation
        default:
            optionPrice = switch type {
            case TickType.bidOptionComputation: walk.bid
            case TickType.askOptionComputation: walk.ask
            default: walk.last
            }
            volatility = model.impliedVolatility(price: optionPrice, spot: spot, years: years)
            greeks = volatility.map { model.value(spot: spot, years: years, sigma: $0) }
        }
        send(TickOptionComputation(
            requestID: requestID, tickType: id(type), tickAttrib: type == TickType.modelOptionComputation ? 0 : 1,
            impliedVolatility: volatility, delta: greeks?.delta, optionPrice: optionPrice, pvDividend: 0,
            gamma: greeks?.gamma, vega: greeks?.vega, theta: greeks?.theta, underlyingPrice: spot))
    }

    /// Generic tick 101: an option's open interest, under its right's tick type.
    mutating func openInterest() {
        guard let terms = walk.instrument.option else { return }
        size(terms.right == .call ? TickType.optionCallOpenInterest : TickType.optionPutOpenInterest, walk.openInterest)
    }

    /// What one step of the walk changed.
    mutating func update(_ changes: PriceWalk.Changes) {
        if changes.contains(.session) {
            // A new day's range is the last price alone: a client holding that last is never outside it.
            high()
            low()
            price(TickType.open, walk.open)
            price(TickType.close, walk.close)
            if walk.hasTrades { volume() }
        }
        if changes.contains(.askFirst) { ask() }
        if changes.contains(.bid) {
            bid()
        } else if changes.contains(.bidSize) {
            size(TickType.bidSize, walk.bidSize)
        }
        if changes.contains(.ask) {
            if !changes.contains(.askFirst) { ask() }
        } else if changes.contains(.askSize) {
            size(TickType.askSize, walk.askSize)
        }
        if !changes.contains(.session) {
            if changes.contains(.high) { high() }
            if changes.contains(.low) { low() }
        }
        if changes.contains(.trade) {
            last()
            volume()
        }
        if walk.valuation != nil, !changes.isDisjoint(with: [.model, .bid, .ask, .trade, .session]) {
            if changes.contains(.bid) { optionComputation(TickType.bidOptionComputation) }
            if changes.contains(.ask) { optionComputation(TickType.askOptionComputation) }
            if changes.contains(.trade) { optionComputation(TickType.lastOptionComputation) }
            optionComputation(TickType.modelOptionComputation)
        }
    }
}
