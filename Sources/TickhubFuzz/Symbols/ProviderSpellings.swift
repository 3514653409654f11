import FuzzSupport
import TickhubCore

/// Any text as a Yahoo or Alpha Vantage symbol, and as a URL component: what a provider's response or a client's
/// request can hand these functions.
func checkProviderSpellings(_ text: String) {
    for parsed in [ProviderSymbols.instrument(fromYahoo: text), ProviderSymbols.instrument(fromAlphaVantage: text)] {
        guard let parsed else { continue }
        _ = ProviderSymbols.yahooSymbol(for: parsed)
        _ = ProviderSymbols.alphaVantageSymbol(for: parsed)
    }
    for encoded in [ProviderSymbols.percentEncodedPathSegment(text), ProviderSymbols.percentEncodedQueryValue(text)] {
        invariant(percentDecoded(encoded) == Array(text.utf8), "\(text.debugDescription) percent-encodes as \(encoded), which decodes to other bytes")
    }
}

/// The inverse of percent-encoding, or nil for anything that is not its output (non-ASCII, a bad escape).
func percentDecoded(_ text: String) -> [UInt8]? {
    var out: [UInt8] = []
    var bytes = text.utf8.makeIterator()
    while let byte = bytes.next() {
        guard byte < 0x80 else { return nil }
        guard byte == UInt8(ascii: "%") else { out.append(byte); continue }
        guard let high = bytes.next(), let low = bytes.next(),
              let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
        out.append(value)
    }
    return out
}
