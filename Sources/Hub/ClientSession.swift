import TickhubCore

/// One WebSocket client: what it wants and what is waiting to be written to it. Fan-out thread only.
///
/// Memory is bounded by the client's symbol count whatever the feed rate: a newer update for a symbol
/// replaces the pending one (conflation) instead of queueing behind it.
package final class ClientSession {
    package enum Channel: String, CaseIterable {
        case status, pnl, alerts

        /// The names there are, for the error that names an unknown one.
        static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
    }

    package let id: Int
    package let connection: any Connection
    /// A `/publish` connection: it sends quotes and gets only error messages back.
    package let isPublisher: Bool
    /// The symbols it streams, each with when it was subscribed in the client's own count: its first symbols come
    /// first in the fair share of upstream lines (SymbolInterest.fairShareOrder).
    package var symbols: [String: Int] = [:]
    var subscriptionsMade = 0
    package var channels: Set<Channel> = []
    /// The bar series it follows, each with when it was subscribed in the same count as its symbols: a series wants
    /// its symbol's quotes upstream, and ranks in the fair share like a symbol subscribed then.
    package var bars: [BarKey: Int] = [:]
    /// The latest undelivered update per symbol: encoded bytes shared with every other subscriber.
    package var pending: [String: PendingUpdate] = [:]
    /// What waits per bar series: its snapshot, its bars' updates.
    package var pendingBars: [BarKey: PendingBars] = [:]
    /// Fired alerts, which must all arrive like `immediate`, but are written after the quote updates: an alert
    /// never goes ahead of the quote that fired it.
    package var alerts: [SharedBytes] = []
    /// The latest undelivered P&L (`pnl` channel): a valuation, kept apart from the quotes.
    var pendingPnL: SharedBytes?
    /// Messages that must all arrive, in order, before pending updates: snapshots, pongs, errors, statuses.
    package var immediate: [[UInt8]] = []
    /// When this client was first asked for a write it has not yet taken; nil when it has nothing waiting.
    var waitingSince: Int64?
    var writableRequested = false
    /// In the hub's list of clients to write at the end of this turn of the loop.
    var flushQueued = false
    /// Bytes of a fragmented incoming message, until its last fragment.
    package var incoming: [UInt8] = []
    /// µs since the epoch of the last frame (data or pong) from the client, and of the ping asking for one.
    package var lastHeardFrom: Int64
    var pingSentAt: Int64?
    /// Upgraded without the token on a hub that needs one: until `{"op":"auth"}` presents it, nothing else is
    /// accepted and nothing is sent. Browsers cannot set headers on a WebSocket, and a token in the URL ends up
    /// in proxy logs.
    package var awaitingToken: Bool
    /// The connection is to be closed with this status by the next housekeeping (a close from inside the client's
    /// own receive callback loses the close frame in lws 4.1 when the message spanned several reads). Nothing
    /// more is read from it or queued for it meanwhile.
    package var pendingClose: (status: UInt16, reason: String)?
    /// Error messages waiting in `immediate`, and those folded into one summary since the last write.
    var queuedErrors = 0
    var suppressedErrors = 0
    /// Errors the client earned (bad messages, bad symbols) in the minute since `errorWindowStart`.
    var errorsInWindow = 0
    var errorWindowStart: Int64 = 0
    /// Bytes waiting in `immediate` and `alerts`.
    var immediateBytes = 0
    let openedAt: Int64

    package struct PendingUpdate {
        package var bytes: SharedBytes
        package var receivedAt: Timestamp
    }

    /// A series' messages not yet written: the whole series when one is due (it goes first), then one update per bar
    /// time. A newer update of a bar replaces the one waiting for it; an update of another bar waits beside it, so a
    /// bar that completed is never dropped for the next bar's first update. Bytes are shared with every subscriber.
    package struct PendingBars {
        package var snapshot: SharedBytes?
        package var updates: [(time: Int64, bytes: SharedBytes)] = []

        var messageCount: Int { (snapshot == nil ? 0 : 1) + updates.count }
        var byteCount: Int { updates.reduce(snapshot?.bytes.count ?? 0) { $0 + $1.bytes.bytes.count } }
    }

    package init(id: Int, connection: any Connection, isPublisher: Bool, awaitingToken: Bool, openedAt: Int64) {
        self.id = id
        self.connection = connection
        self.isPublisher = isPublisher
        self.awaitingToken = awaitingToken
        self.openedAt = openedAt
        lastHeardFrom = openedAt
    }

    var hasWork: Bool { !pending.isEmpty || !immediate.isEmpty || pendingPnL != nil || !pendingBars.isEmpty || !alerts.isEmpty }

    /// Lets go of everything waiting: the client is about to be closed for not reading.
    func dropQueued() {
        immediate.removeAll()
        pending.removeAll()
        pendingBars.removeAll()
        alerts.removeAll()
        pendingPnL = nil
        immediateBytes = 0
    }
}

/// Encoded bytes shared by reference: one allocation per update, whatever the number of subscribers or shards.
package final class SharedBytes: Sendable {
    package let bytes: [UInt8]
    package init(_ bytes: [UInt8]) { self.bytes = bytes }
}
