/// Text from a request, fit to quote in an error: control characters shown as U+FFFD and at most `limit`
/// characters, so a response can never carry raw bytes that the client did not plainly send.
public func quoted(_ text: some StringProtocol, limit: Int = 64) -> String {
    let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.map { isControlCharacter($0) ? "\u{FFFD}" : $0 }))
    return cleaned.count <= limit ? cleaned : String(cleaned.prefix(limit)) + "…"
}

/// A C0 control character or DEL: in no symbol, file or broker name, and never echoed raw.
public func isControlCharacter(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || scalar.value == 0x7F }
