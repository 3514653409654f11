import FuzzSupport
import TastyTrade
import TickhubCore

func checkOrderSymbol(_ text: String, type: TastyInstrumentType?) {
    switch TastySymbol.instrument(orderSymbol: text, type: type) {
    case let .success(instrument):
        invariant((try? SymbolGrammar.parse(instrument.symbol)) == instrument, "\(text) mapped to \(instrument.symbol), which the grammar reads otherwise")
        if let streamer = TastySymbol.streamerSymbol(instrument) {
            invariant(TastySymbol.tickhubSymbol(streamerSymbol: streamer) == instrument.symbol,
                      "\(instrument.symbol) → \(streamer) does not map back")
        }
    case let .failure(unmapped):
        invariant(!unmapped.reason.isEmpty, "\(text) unmapped without a reason")
    }
}

func checkStreamerSymbol(_ text: String) {
    guard let symbol = TastySymbol.tickhubSymbol(streamerSymbol: text) else { return }
    guard let instrument = try? SymbolGrammar.parse(symbol) else { violated("\(text) mapped to \(symbol), which the grammar refuses") }
    invariant(instrument.symbol == symbol, "\(text) mapped to \(symbol), not in the grammar's spelling")
    invariant(TastySymbol.streamerSymbol(instrument) == text, "\(text) → \(symbol) → \(TastySymbol.streamerSymbol(instrument) ?? "nil")")
}
