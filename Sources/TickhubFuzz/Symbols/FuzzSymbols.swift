import FuzzSupport
import TickhubCore

// fuzz-symbols: SymbolGrammar.parse on whatever a client types (the input as UTF-8, invalid sequences replaced as
// the server replaces them), and the provider spellings of what it accepts.
//
// Checked on every input:
// - nothing traps; a tooLong rejection names a length above SymbolGrammar.maximumLength;
// - an accepted symbol is canonical: at most maximumLength characters of A-Z, 0-9, '.', '-' and at most one space,
//   with a security type that matches its shape (options carry their terms and a multiplier of 100);
// - the canonical symbol, and its lower-case spelling, parse to an equal Instrument (the round trip);
// - its Yahoo symbol matches it, its Alpha Vantage symbol has no space, and parsing any text as a provider symbol
//   never traps; percent-encoding gives ASCII that decodes to the same bytes.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    checkGrammar(text)
    checkProviderSpellings(text)
    return 0
}

func checkGrammar(_ text: String) {
    let instrument: Instrument
    do {
        instrument = try SymbolGrammar.parse(text)
    } catch {
        if case let .tooLong(n) = error {
            invariant(n > SymbolGrammar.maximumLength, "\(text.debugDescription) refused as too long at \(n) characters")
        }
        return
    }
    let symbol = instrument.symbol
    invariant(!symbol.isEmpty && symbol.count <= SymbolGrammar.maximumLength,
              "\(text.debugDescription) accepted as \(symbol.debugDescription), \(symbol.count) characters")
    invariant(symbol.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || ".- ".unicodeScalars.contains($0) },
              "\(text.debugDescription) accepted as \(symbol.debugDescription), which has other characters")
    invariant(symbol.filter { $0 == " " }.count <= 1 && symbol.first != " " && symbol.last != " ",
              "\(text.debugDescription) accepted as \(symbol.debugDescription), spaced oddly")
    switch instrument.securityType {
    case .option:
        invariant(instrument.option != nil && instrument.multiplier == 100, "\(symbol) is an option without its terms")
    case .forex:
        invariant(symbol == "\(instrument.root).\(instrument.currency)" && symbol.count == 7, "\(symbol) is a strange pair")
        invariant(instrument.option == nil, "\(symbol) has option terms")
    default:
        invariant(instrument.option == nil && instrument.multiplier == 1, "\(symbol) is \(instrument.securityType) with option terms")
    }

    for spelling in [symbol, symbol.lowercased()] {
        do {
            let again = try SymbolGrammar.parse(spelling)
            invariant(again == instrument, "\(text.debugDescription) is \(instrument), but \(spelling.debugDescription) is \(again)")
        } catch {
            violated("\(text.debugDescription) is \(symbol.debugDescription), which is then refused: \(error)")
        }
    }

    if let yahoo = ProviderSymbols.yahooSymbol(for: instrument) {
        invariant(ProviderSymbols.yahooSymbol(yahoo, matches: instrument), "\(symbol)'s Yahoo symbol \(yahoo) does not match it")
    }
    if let alphaVantage = ProviderSymbols.alphaVantageSymbol(for: instrument) {
        invariant(!alphaVantage.isEmpty && !alphaVantage.contains(" "), "\(symbol)'s Alpha Vantage symbol is \(alphaVantage.debugDescription)")
    }
}

#if !TICKHUB_FUZZING
@main enum ReplayMain {
    static func main() { Replay.run(fuzz) }
}
#endif
