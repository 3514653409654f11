import Foundation
import FuzzSupport
import HubProtocol

// fuzz-stream-request: what `/stream` clients send, through StreamRequest.parse (the hub acts on nothing else).
//
// Input: the message itself, any bytes.
//
// Checked on every message:
// - nothing traps; a refusal has one of the documented codes (bad_json, missing_op, bad_request, unknown_op) and a
//   message without control characters, so nothing a client sent comes back raw;
// - an accepted request, written back as JSON (`Echo.swift`), parses to itself: what the hub acts on is exactly
//   what the message said, symbols that are not strings kept as refusals in their places;
// - parsing is a function of the bytes: the same message twice gives the same outcome;
// - each `bars` item, checked alone as the hub checks it, names a series (its symbol normalized, its interval one of
//   the one it was sent as) or is refused with invalid_symbol or bad_interval and a message without control characters.

let refusalCodes: Set<String> = ["bad_json", "missing_op", "bad_request", "unknown_op"]
let itemRefusalCodes: Set<String> = ["invalid_symbol", "bad_interval"]

func checkControlFree(_ text: String, _ what: String) {
    invariant(text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }, "a control character in \(what) \(text.debugDescription)")
}

func checkBars(_ request: StreamRequest) {
    let items: [StreamRequest.BarsItem]
    switch request {
    case let .subscribe(_, _, bars?), let .unsubscribe(_, _, bars?): items = bars
    default: return
    }
    for item in items {
        switch item.series() {
        case let .success((instrument, interval)):
            invariant(item.interval == interval.rawValue, "interval \(item.interval.debugDescription) read as \(interval)")
            let symbol = instrument.symbol
            invariant(!symbol.isEmpty && symbol.count <= 32 && symbol == symbol.uppercased(),
                      "symbol \(item.symbol.debugDescription) read as \(symbol.debugDescription)")
        case let .failure(refusal):
            invariant(itemRefusalCodes.contains(refusal.code), "undocumented item code \(refusal.code)")
            checkControlFree(refusal.message, refusal.code)
            if let symbol = refusal.symbol { checkControlFree(symbol, "the symbol of \(refusal.code)") }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let outcome = StreamRequest.parse(bytes)
    invariant(StreamRequest.parse(bytes) == outcome, "two parses of the same message differ")
    switch outcome {
    case let .failure(refusal):
        invariant(refusalCodes.contains(refusal.code), "undocumented code \(refusal.code)")
        invariant(!refusal.message.isEmpty, "\(refusal.code) without a message")
        checkControlFree(refusal.message, refusal.code)
    case let .success(request):
        let echo = Echo.json(request)
        let again = StreamRequest.parse(echo)
        invariant(again == .success(request), "\(request) written as \(String(decoding: echo, as: UTF8.self)) reads as \(again)")
        checkBars(request)
    }
    return 0
}

#if !TICKHUB_FUZZING
@main enum ReplayMain {
    static func main() { Replay.run(fuzz) }
}
#endif
