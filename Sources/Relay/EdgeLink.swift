/// Whether an edge's feed can be vouched for: it needs its NATS connection, and a leading ingest that answered its
/// latest interest renewal (an edge whose renewals go unanswered has no one following its symbols). Pure: says when
/// the feed is lost (and why) and when it is back, once each, however the two causes come and go.
struct EdgeLink: Sendable, Equatable {
    enum Change: Sendable, Equatable {
        case lost(String)
        case restored
    }

    private(set) var natsConnected: Bool
    /// Nil while no renewal since the last loss was answered; the reason the last one was not.
    private(set) var leaderSilence: String?
    /// What clients were last told: nil while the feed is live.
    private(set) var announcedLoss: String?

    /// At the start nothing is announced: clients hear of a loss only once something is lost.
    init(natsConnected: Bool) {
        self.natsConnected = natsConnected
        leaderSilence = nil
    }

    static let natsLost = "this edge's link to NATS is lost"

    /// The loss to announce now, if any: NATS first, it explains the leader's silence too.
    var loss: String? {
        if !natsConnected { return Self.natsLost }
        if let leaderSilence { return "this edge hears no leading ingest: \(leaderSilence)" }
        return nil
    }

    mutating func nats(connected: Bool) -> Change? {
        natsConnected = connected
        // Whatever the leader said before the link went is no longer known to hold: a new answer must say so.
        if !connected { leaderSilence = leaderSilence ?? "no renewal answered since NATS came back" }
        return settle()
    }

    mutating func leaderAnswered() -> Change? {
        leaderSilence = nil
        return settle()
    }

    mutating func leaderSilent(_ reason: String) -> Change? {
        leaderSilence = reason
        return settle()
    }

    private mutating func settle() -> Change? {
        let now = loss
        switch (announcedLoss, now) {
        case (nil, let reason?):
            announcedLoss = reason
            return .lost(reason)
        case (_?, nil):
            announcedLoss = nil
            return .restored
        default:
            return nil
        }
    }
}
