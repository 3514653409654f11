import TWSProtocol

/// The historical-data desk: keepUpToDate requests still open, and IBKR's pacing of historical requests.
struct HistoryDesk {
    struct Live {
        var sessionID: Int
        var requestID: Int
        var symbol: String
        var request: RequestHistoricalData
        /// The bar last sent, so an unchanged one is not sent again.
        var lastSent: String?
        var lastSentAt = 0.0
    }

    /// What makes two requests identical, and which of its terms the burst rule counts by.
    struct RequestKey: Hashable {
        var conId: Int
        var exchange: String
        var whatToShow: String
        var terms: String
    }

    private var recent: [(time: Double, key: RequestKey)] = []
    private(set) var live: [Live] = []

    /// Nil when the request may go ahead (and it is then counted), else why not.
    mutating func admit(_ key: RequestKey, at time: Double, limits: HistoricalPacing) -> String? {
        recent.removeAll { time - $0.time >= max(limits.window, limits.identicalWindow, limits.burstWindow) }
        if recent.contains(where: { $0.key == key && time - $0.time < limits.identicalWindow })
            || recent.filter({ $0.key.conId == key.conId && $0.key.exchange == key.exchange
                && $0.key.whatToShow == key.whatToShow && time - $0.time < limits.burstWindow }).count >= limits.burst
            || recent.filter({ time - $0.time < limits.window }).count >= limits.perWindow
        {
            return "Historical Market Data Service error message:Pacing violation"
        }
        if live.count >= limits.open {
            return "Historical Market Data Service error message:Too many open historical data requests (max \(limits.open))"
        }
        recent.append((time, key))
        return nil
    }

    mutating func keep(_ request: Live) { live.append(request) }

    mutating func update(_ index: Int, sent: String, at time: Double) {
        live[index].lastSent = sent
        live[index].lastSentAt = time
    }

    /// True when it was open.
    @discardableResult
    mutating func cancel(sessionID: Int, requestID: Int) -> Bool {
        let before = live.count
        live.removeAll { $0.sessionID == sessionID && $0.requestID == requestID }
        return live.count != before
    }

    mutating func close(sessionID: Int) { live.removeAll { $0.sessionID == sessionID } }

    var liveSymbols: Set<String> { Set(live.map(\.symbol)) }
}

/// IBKR's pacing of historical-data requests (error 162 beyond it); tests shrink the windows.
public struct HistoricalPacing: Sendable, Equatable {
    /// An identical request again within this many seconds is a pacing violation.
    public var identicalWindow = 15.0
    /// At most `burst` requests for one contract, exchange and tick type within `burstWindow` seconds.
    public var burst = 6
    public var burstWindow = 2.0
    /// At most `perWindow` requests in `window` seconds.
    public var perWindow = 60
    public var window = 600.0
    /// Requests open at once (keepUpToDate ones until cancelled).
    public var open = 50

    public init() {}
}
