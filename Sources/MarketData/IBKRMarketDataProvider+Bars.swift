import IBKR
import TickhubCore

/// IBKR's historical bars as a chart's first source.
extension IBKRMarketDataProvider: HistoricalBarProvider {
    public var source: QuoteSource { name }

    public func bars(_ request: BarRequest) async throws -> [Bar] {
        do {
            return try await ibkr.historicalBars(request)
        } catch {
            throw Self.barError(error, symbol: request.instrument.symbol)
        }
    }

    public func followBars(_ instrument: Instrument, interval: BarInterval, onBar: @escaping @Sendable (Bar) -> Void) async -> Int? {
        await ibkr.followBars(instrument, interval: interval, onBar: onBar)
    }

    public func stopFollowing(_ id: Int) async {
        await ibkr.stopFollowingBars(id)
    }

    /// What a chart should make of IBKR's refusal: an unknown contract lets the next provider try the symbol;
    /// anything else is IBKR unable to serve now (disconnected, no permission, no data service, paced out).
    static func barError(_ error: IBKRHistoryError, symbol: String) -> HistoricalBarError {
        switch error {
        case .disconnected:
            .unavailable("not connected to IBKR")
        case .refused(code: 200, _):
            .unknownSymbol(symbol)
        case let .refused(code, message):
            .unavailable("IBKR refused the bars (\(code)): \(message)")
        case let .timedOut(seconds):
            .unavailable("IBKR gave no bars within \(Int(seconds.rounded())) s")
        case let .invalidRequest(reason):
            .unavailable(reason)
        }
    }
}
