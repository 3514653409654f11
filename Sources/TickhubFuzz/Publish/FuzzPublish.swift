import FuzzSupport
import TickhubCore
import HubProtocol

// fuzz-publish: what publishers send to `/publish` and `POST /api/market-data/publish`, through PublishDecoder.
//
// Input: [mode] then, for an even mode, the message body itself (any bytes); for an odd mode, a program of quote
// items (QuoteItem.swift) that the target writes as JSON, knowing what each item must decode to.
//
// Checked on every body:
// - nothing traps; a refused message says why;
// - an accepted message has one outcome per item: patches + rejections = the items of the array (1 for an object);
//   rejections name real items, in order, each once, as `bad_quote` with a message;
// - every patch passes the documented value checks: a canonical symbol, at least one value, prices finite and
//   within ±1e9, sizes finite, not negative and at most 1e15, no crossed book, low ≤ high, `ts` from 2000 on and
//   at most 60 s ahead of the hub's clock;
// - decoding the same bytes again with the same decoder (its symbol cache warm) gives the same outcome.
// For programs, additionally: an item the checks accept decodes to exactly the patch it was written from (every
// double bit for bit, `ts` scaled from ms when it has 13 digits), and one they refuse is rejected at its index.

/// The hub's clock while fuzzing, µs: fixed, so a saved input replays the same `ts` checks.
let now: Int64 = 1_795_320_831_930_000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    if input.byte() & 1 == 0 {
        checkBody(input.rest())
    } else {
        checkProgram(&input)
    }
    return 0
}

/// Any bytes as a message: the properties every outcome must have.
@discardableResult
func checkBody(_ body: [UInt8]) -> PublishDecoder.Decoded? {
    var decoder = PublishDecoder()
    let first: PublishDecoder.Decoded
    do {
        first = try decoder.decode(body, now: now)
    } catch {
        invariant(!error.message.isEmpty, "a message refused without a reason")
        do {
            _ = try decoder.decode(body, now: now)
            violated("a message refused once (\(error.message)) is accepted the second time")
        } catch {}
        return nil
    }
    checkOutcome(first, of: body)
    do {
        let second = try decoder.decode(body, now: now)
        invariant(sameOutcome(first, second), "the same message decodes differently once its symbols are cached")
    } catch {
        violated("a message accepted once is refused the second time: \(error.message)")
    }
    return first
}

#if !TICKHUB_FUZZING
@main enum ReplayMain {
    static func main() { Replay.run(fuzz) }
}
#endif
