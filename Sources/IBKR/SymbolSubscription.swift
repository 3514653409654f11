import NIOCore
import TWSProtocol
import TickhubCore

/// One symbol the provider has been asked to stream, and where its IBKR request stands.
struct SymbolSubscription {
    enum Phase: Equatable {
        /// Wants a line; not requested on this connection yet.
        case waiting
        /// reqContractDetails in flight.
        case qualifying(requestID: Int)
        /// reqMktData sent.
        case streaming(requestID: Int)
        case overBudget
        case ended(TWSNotice.RequestEndReason)
    }

    let instrument: Instrument
    /// The qualified contract (conId and venue); kept across reconnects so qualification happens once.
    var contract: Contract?
    var phase: Phase = .waiting
    var quote: Quote
    var lastTickAt: NIODeadline?
    /// The tickOptionComputation type the quote's greeks came from (see `Quote.apply(_:held:)`).
    var greeksTickType: Int?

    init(instrument: Instrument) {
        self.instrument = instrument
        quote = Quote(symbol: instrument.symbol, source: .ibkr)
    }

    var holdsLine: Bool {
        switch phase {
        case .qualifying, .streaming: true
        default: false
        }
    }

    var status: IBKRSymbolStatus {
        switch phase {
        case .waiting, .qualifying: .pending
        case .streaming: .streaming
        case .overBudget: .overBudget
        case let .ended(reason): .ended(reason)
        }
    }
}
