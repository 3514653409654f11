/// Where scale-out's messages go on NATS and where its state is kept, all under one prefix (`nats.subjectPrefix`),
/// so that several Tickhub installations share a NATS cluster without hearing each other.
///
/// A symbol becomes one subject token and one key-value key (`token(for:)`): the symbol grammar's `.` and ` ` are
/// not allowed there, and its alphabet has neither `_` nor `=`, which stand for them, so the mapping goes both ways.
public struct RelaySubjects: Sendable, Equatable {
    public let prefix: String

    /// The prefix names subjects and buckets alike, and a bucket's name allows letters, digits, `-` and `_` only.
    public init(prefix: String = "tickhub") throws(RelayMessageError) {
        guard !prefix.isEmpty, prefix.count <= 64,
              prefix.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") })
        else {
            throw RelayMessageError("nats.subjectPrefix \"\(prefix)\" must be 1 to 64 letters, digits, '-' or '_'")
        }
        self.prefix = prefix
    }

    // MARK: Quotes

    /// One symbol's quotes, as the hub encoded them; nil for a symbol no subject can carry (none the grammar takes).
    public func quote(_ symbol: String) -> String? {
        Self.token(for: symbol).map { "\(prefix).quote.\($0)" }
    }

    /// Every symbol's quotes.
    public var quotes: String { "\(prefix).quote.*" }

    /// The symbol a quote subject names; nil for a subject that is not one.
    public func symbol(fromQuoteSubject subject: String) -> String? {
        let head = "\(prefix).quote."
        guard subject.hasPrefix(head) else { return nil }
        return Self.symbol(fromToken: String(subject.dropFirst(head.count)))
    }

    // MARK: The feed's state

    /// The broker link's status (`BrokerConnectionStatus`).
    public var brokerStatus: String { "\(prefix).status.ibkr" }
    /// Every provider's health.
    public var providerHealth: String { "\(prefix).status.providers" }
    /// A symbol's availability (known, unknown, unavailable and why).
    public var availability: String { "\(prefix).status.availability" }
    /// A synced broker's state (`BrokerSyncStatus`), each broker's in turn.
    public var brokerSync: String { "\(prefix).status.brokers" }
    /// A symbol's quotes coming from another provider.
    public var sourceChange: String { "\(prefix).status.source" }
    /// Every status subject.
    public var statuses: String { "\(prefix).status.>" }
    /// A broker's holdings, and its account balances: edges value P&L themselves from them and the quotes.
    public var holdings: String { "\(prefix).portfolio.holdings" }
    public var balances: String { "\(prefix).portfolio.balances" }
    public var portfolio: String { "\(prefix).portfolio.>" }

    // MARK: Charts and alerts

    /// A whole bar series (the hub's `bars` message), a bar's update (its `bar` message), series the leader no longer
    /// follows (`BarsReleasedMessage`): the series an edge asked for in its interest.
    public var barSeries: String { "\(prefix).chart.series" }
    public var bar: String { "\(prefix).chart.bar" }
    public var barsReleased: String { "\(prefix).chart.released" }
    /// Every chart subject.
    public var charts: String { "\(prefix).chart.>" }
    /// A fired price alert (the hub's `alert` message), for every edge's `alerts` clients.
    public var alerts: String { "\(prefix).alert" }

    // MARK: Requests to the leading ingest

    /// Edges' interest renewals (`InterestRenewal`, answered with an `InterestGrant`).
    public var interest: String { "\(prefix).interest" }

    /// A command only the leading ingest may carry out.
    public func control(_ command: RelayControl) -> String { "\(prefix).control.\(command.rawValue)" }
    /// Every command.
    public var controls: String { "\(prefix).control.>" }

    /// The command a control subject names; nil for one that is not.
    public func command(fromControlSubject subject: String) -> RelayControl? {
        let head = "\(prefix).control."
        guard subject.hasPrefix(head) else { return nil }
        return RelayControl(rawValue: String(subject.dropFirst(head.count)))
    }

    // MARK: Key-value buckets

    /// The last quote of each symbol (key: its token), for an edge's snapshots and a new leader's `seq`.
    public var quoteBucket: String { "\(prefix)-quotes" }
    /// The leader's lease, with a time to live (key `leaderKey`).
    public var leaderBucket: String { "\(prefix)-leader" }
    /// The epoch counter, without one (key `epochKey`): it must outlive every lease.
    public var epochBucket: String { "\(prefix)-epochs" }
    public static let leaderKey = "leader"
    public static let epochKey = "epoch"

    /// The header every message of the feed carries: the epoch of the leader that sent it.
    public static let epochHeader = "Tickhub-Epoch"

    // MARK: Symbol tokens

    /// `EUR.USD` is `EUR_USD`, `BRK B` is `BRK=B`; nil when the symbol has a character neither a subject token nor
    /// a key may hold (the grammar allows letters, digits, `.`, `-` and a space).
    public static func token(for symbol: String) -> String? {
        guard !symbol.isEmpty else { return nil }
        var token = ""
        token.reserveCapacity(symbol.utf8.count)
        for scalar in symbol.unicodeScalars {
            switch scalar {
            case ".": token.append("_")
            case " ": token.append("=")
            case "a"..."z", "A"..."Z", "0"..."9", "-": token.unicodeScalars.append(scalar)
            default: return nil
            }
        }
        return token
    }

    /// The inverse of `token(for:)`; nil for a token it never makes.
    public static func symbol(fromToken token: String) -> String? {
        guard !token.isEmpty else { return nil }
        var symbol = ""
        symbol.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            switch scalar {
            case "_": symbol.append(".")
            case "=": symbol.append(" ")
            case "a"..."z", "A"..."Z", "0"..."9", "-": symbol.unicodeScalars.append(scalar)
            default: return nil
            }
        }
        return symbol
    }
}

/// What an edge asks of the leading ingest, each on its own subject under `control.`.
public enum RelayControl: String, Sendable, CaseIterable {
    case ibkrConnect = "ibkr.connect"
    case ibkrDisconnect = "ibkr.disconnect"
    case ibkrStatus = "ibkr.status"
    /// An HTTP write the ingest's database serves (positions, alerts): the request passed on, its answer back.
    case http
}
