/// Field 6509, "Market Data Availability": how the values beside it may be trusted.
///
/// Its first letter is the timeline: R real-time, D delayed, Z frozen (the last values recorded at the close, sent
/// in real time), Y frozen and delayed, N not subscribed. Letters after it describe the data's structure (IBKR
/// documents "P" snapshot, "p" consolidated, "B" top of book); they do not change what a quote may claim, so they
/// are kept as read and not interpreted.
public struct MarketDataAvailability: Equatable, Sendable {
    public enum Timeline: Character, Sendable, CaseIterable {
        case realTime = "R"
        case delayed = "D"
        case frozen = "Z"
        case frozenDelayed = "Y"
        case notSubscribed = "N"
    }

    public var timeline: Timeline
    /// The letters after the first, as the gateway sent them.
    public var structure: String

    public init(timeline: Timeline, structure: String = "") {
        self.timeline = timeline
        self.structure = structure
    }

    /// Nil for an empty code or an unknown first letter: an availability the hub cannot read claims nothing.
    public init?(code: String) {
        let trimmed = code.drop { $0 == " " }
        guard let first = trimmed.first, let timeline = Timeline(rawValue: first) else { return nil }
        self.timeline = timeline
        structure = String(trimmed.dropFirst().prefix(8))
    }

    public var code: String { String(timeline.rawValue) + structure }

    /// 15-20 minutes behind the market.
    public var isDelayed: Bool { timeline == .delayed || timeline == .frozenDelayed }

    /// Values from the last close, not moving: a quote made of them is not live.
    public var isFrozen: Bool { timeline == .frozen || timeline == .frozenDelayed }

    /// The account has neither real-time nor delayed data for the instrument: the subscription ends, as TWS's 354.
    public var isSubscribed: Bool { timeline != .notSubscribed }
}
