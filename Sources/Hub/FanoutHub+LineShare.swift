/// The fair share of upstream lines (IBKR's 100 market-data lines, by default).
///
/// Lines used to go first come, first served, so one client subscribing 100 option symbols held them all and
/// every other client's symbols fell over to a poller or failed. Now the hub ranks the symbols it follows and the
/// provider gives lines in rank order, taking a line back from the last-ranked symbol when a better-ranked one
/// needs it (that symbol then falls over like any other without a line):
///
/// 1. held symbols (positions need live marks for P&L), then
/// 2. each client's symbols by the order it subscribed them: every client's first symbol, then every client's
///    second, and so on (a symbol several clients want takes its best rank), then
/// 3. symbols only HTTP requests asked for.
///
/// So with N clients each gets at least lines/N of them, and what one does not use goes to those that want more.
/// docs/providers.md explains it for users.
extension FanoutHub {
    /// Symbols followed upstream, best-ranked first.
    package func fairShareOrder() -> [String] {
        var rank: [String: Int] = [:]
        for symbol in held where upstream[symbol] != nil { rank[symbol] = -1 }
        for client in clients.values where !client.isPublisher && !client.symbols.isEmpty {
            let mine = client.symbols.sorted { $0.value < $1.value }
            for (place, entry) in mine.enumerated() where upstream[entry.key] != nil {
                rank[entry.key] = min(rank[entry.key] ?? .max, place)
            }
        }
        return upstream.keys.sorted { a, b in
            let (ra, rb) = (rank[a] ?? .max, rank[b] ?? .max)
            return ra != rb ? ra < rb : a < b
        }
    }

    /// Sends the ranking upstream when it changed; at most once a housekeeping tick, however busy the clients.
    package func shareLinesIfChanged() {
        guard lineShareDirty else { return }
        lineShareDirty = false
        let order = fairShareOrder()
        guard order != lineShare else { return }
        lineShare = order
        upstreamCommands.send(.prioritize(order))
    }
}
