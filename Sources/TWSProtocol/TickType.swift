/// Tick type ids, and the delayed ids that stand for them (the mapping is not a constant offset).
public enum TickType {
    public static let bidSize = 0, bid = 1, ask = 2, askSize = 3, last = 4, lastSize = 5
    public static let high = 6, low = 7, volume = 8, close = 9, open = 14
    /// tickOptionComputation: implied volatility and greeks from the bid, the ask, the last trade, and TWS's model.
    public static let bidOptionComputation = 10, askOptionComputation = 11, lastOptionComputation = 12
    public static let modelOptionComputation = 13
    /// tickSize with generic tick 101: an option's open interest, by right.
    public static let optionCallOpenInterest = 27, optionPutOpenInterest = 28
    public static let lastTimestamp = 45, rtVolume = 48, halted = 49, shortable = 46

    public static let delayedBid = 66, delayedAsk = 67, delayedLast = 68
    public static let delayedBidSize = 69, delayedAskSize = 70, delayedLastSize = 71
    public static let delayedHigh = 72, delayedLow = 73, delayedVolume = 74, delayedClose = 75, delayedOpen = 76
    public static let delayedLastTimestamp = 88, delayedHalted = 90
    public static let delayedBidOptionComputation = 80, delayedAskOptionComputation = 81
    public static let delayedLastOptionComputation = 82, delayedModelOptionComputation = 83

    /// Live id → delayed id, for the ids a quote uses.
    public static let delayedID: [Int: Int] = [
        bid: delayedBid, ask: delayedAsk, last: delayedLast,
        bidSize: delayedBidSize, askSize: delayedAskSize, lastSize: delayedLastSize,
        high: delayedHigh, low: delayedLow, volume: delayedVolume, close: delayedClose, open: delayedOpen,
        lastTimestamp: delayedLastTimestamp, halted: delayedHalted,
        bidOptionComputation: delayedBidOptionComputation, askOptionComputation: delayedAskOptionComputation,
        lastOptionComputation: delayedLastOptionComputation, modelOptionComputation: delayedModelOptionComputation,
    ]

    /// Delayed id → live id.
    public static let liveID: [Int: Int] = Dictionary(uniqueKeysWithValues: delayedID.map { ($1, $0) })

    /// The size tick that accompanies a price tick (bid → bid size, delayed last → delayed last size).
    public static let sizeForPrice: [Int: Int] = [
        bid: bidSize, ask: askSize, last: lastSize,
        delayedBid: delayedBidSize, delayedAsk: delayedAskSize, delayedLast: delayedLastSize,
    ]
}
