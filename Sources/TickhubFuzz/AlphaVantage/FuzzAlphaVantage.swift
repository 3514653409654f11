import Foundation
import FuzzSupport
import ProviderParsing
import TickhubCore

// fuzz-alphavantage: Alpha Vantage responses through AlphaVantageParsing.parseGlobalQuote, and each quote through
// AlphaVantageQuote.quote(for:isLatestSession:), as AlphaVantageProvider uses them.
//
// Input: [form][status][content type][API key] then the body. Form bit 1: the body is a notice program
// (NoticeProgram.swift) rather than the bytes themselves; the other bits are unused, so older inputs keep their
// meaning. Status, content type and key are picked from `statuses`, `contentTypes` and `apiKeys`.
//
// Checked on every response:
// - nothing traps, whatever the bytes, status or content type;
// - anything but HTTP 200 with a JSON object is `unavailable`; no message carries the API key (docs/providers.md:
//   "messages that echo it are redacted");
// - a quote has a trimmed, non-empty symbol, a finite price and finite optional values, a real trading day, and is
//   stamped at that day's 16:00 New York close (20:00 or 21:00 UTC); the Tickhub quote made of it is for the symbol
//   asked, from `alphavantage`, always delayed, stale exactly when not the latest session;
// - notices: `Error Message`, `Information` and `Note` are classified as invalidKey / error / rate limits of the
//   kind their recorded texts are (daily, burst, premium, demo), with the key redacted.

let statuses = [200, 200, 200, 200, 500, 503, 429, 404, 301, 0]
let contentTypes: [String?] = ["application/json", "application/json; charset=utf-8", nil, "text/html", "text/plain"]
/// Real keys are 16 capital letters and digits; `demo` is the documented example key.
let apiKeys: [String?] = [nil, "ZX9Q2LM4K7P1B3RT", "demo", "XXXXXXXXXXXXXXXX", "A1", ""]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let form = input.byte()
    let status = input.pick(statuses)
    let contentType = input.pick(contentTypes)
    let key = input.pick(apiKeys)

    var notice: NoticeProgram?
    let body: Data
    if form & 2 != 0 {
        let program = NoticeProgram(&input, key: key)
        notice = program
        body = Data(program.json.utf8)
    } else {
        body = Data(input.rest())
    }
    let plainAnswer = status == 200 && !(contentType?.contains("html") ?? false)

    let outcome = AlphaVantageParsing.parseGlobalQuote(status: status, contentType: contentType, body: body, apiKey: key)
    if !plainAnswer { invariant(isUnavailable(outcome), "HTTP \(status), \(contentType ?? "no content type") gave \(outcome)") }
    checkRedacted(messages(of: outcome), key: key)
    if case let .quote(quote) = outcome { checkQuote(quote) }
    if let notice, plainAnswer { notice.check(outcome) }
    return 0
}

#if !TICKHUB_FUZZING
@main enum ReplayMain {
    static func main() { Replay.run(fuzz) }
}
#endif
