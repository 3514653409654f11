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
// - parsing is a function of the bytes: the same message twice gives the same outcome.

let refusalCodes: Set<String> = ["bad_json", "missing_op", "bad_request", "unknown_op"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let outcome = StreamRequest.parse(bytes)
    invariant(StreamRequest.parse(bytes) == outcome, "two parses of the same message differ")
    switch outcome {
    case let .failure(refusal):
        invariant(refusalCodes.contains(refusal.code), "undocumented code \(refusal.code)")
        invariant(!refusal.message.isEmpty, "\(refusal.code) without a message")
        invariant(refusal.message.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F },
                  "a control character in \(refusal.message.debugDescription)")
    case let .success(request):
        let echo = Echo.json(request)
        let again = StreamRequest.parse(echo)
        invariant(again == .success(request), "\(request) written as \(String(decoding: echo, as: UTF8.self)) reads as \(again)")
    }
    return 0
}

#if !TICKHUB_FUZZING
@main enum ReplayMain {
    static func main() { Replay.run(fuzz) }
}
#endif
