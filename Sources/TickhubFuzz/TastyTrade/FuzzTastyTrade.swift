import Foundation
import FuzzSupport
import TastyTrade
import TickhubCore

// fuzz-tastytrade: TastyTrade's REST answers, the account streamer's frames and DXLink's messages through every reader
// of the TastyTrade module, as the broker uses them (and the simulator, for the client's requests).
//
// Input: [form] then the body. The form picks the reader (`Form`, modulo its count). `feedData` reads the body as a
// FEED_CONFIG message, a newline, then a FEED_DATA message.
//
// Checked on every input:
// - nothing traps, whatever the bytes; every refusal is a TastyTradeFormatError with a message;
// - every figure read is finite; a position's quantity agrees with its direction and its multiplier is positive;
// - whatever a reader gives, written back by the module's encoder (the simulator's) and read again, is the same;
// - feed events carry a symbol, finite values or none, and survive the simulator's COMPACT encoding;
// - a symbol mapped to Tickhub's grammar is one the grammar reads as itself, and its streamer symbol maps back to it.

enum Form: UInt8, CaseIterable {
    case token, apiError, accounts, positions, balances, quoteToken, streamer, streamerRequest, dxlink, feedData,
         orderSymbol, streamerSymbol
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let form = Form.allCases[Int(input.byte()) % Form.allCases.count]
    let body = input.rest()
    switch form {
    case .token:
        if let token = refusedClearly({ try OAuthToken(json: body) }) {
            invariant(token.expiresIn.isFinite && token.expiresIn > 0 && !token.accessToken.isEmpty, "a token without life or value")
            invariant((try? OAuthToken(json: token.json)) == token, "token \(token) did not survive its encoding")
        }
    case .apiError:
        if let error = TastyAPIError(json: body, status: 400) {
            invariant(!error.description.isEmpty, "an API error that says nothing")
            invariant(TastyAPIError(json: error.json, status: 400) == error, "API error \(error) did not survive its encoding")
        }
    case .accounts:
        if let accounts = refusedClearly({ try TastyAccount.list(json: body) }) {
            invariant(accounts.allSatisfy { !$0.accountNumber.isEmpty }, "an account without a number")
            invariant((try? TastyAccount.list(json: TastyAccount.listJSON(accounts))) == accounts, "accounts did not survive")
        }
    case .positions:
        if let list = refusedClearly({ try TastyPosition.list(json: body) }) {
            invariant(list.skipped.allSatisfy { !$0.isEmpty }, "a position skipped without a reason")
            list.positions.forEach(checkPosition)
            let again = try? TastyPosition.list(json: TastyPosition.listJSON(list.positions))
            invariant(again == TastyPositionList(positions: list.positions), "positions did not survive their encoding")
        }
    case .balances:
        if let balance = refusedClearly({ try TastyBalance(json: body) }) {
            invariant(!balance.accountNumber.isEmpty, "balances without an account")
            invariant((try? TastyBalance(json: balance.json)) == balance, "balances \(balance) did not survive their encoding")
        }
    case .quoteToken:
        if let token = refusedClearly({ try DXLinkToken(json: body) }) {
            invariant(token.url.hasPrefix("ws://") || token.url.hasPrefix("wss://"), "a quote token whose URL is no WebSocket")
            invariant((try? DXLinkToken(json: token.json)) == token, "quote token did not survive its encoding")
        }
    case .streamer:
        if let messages = refusedClearly({ try AccountStreamerMessage.decode(body) }) {
            checkStreamer(messages)
        }
    case .streamerRequest:
        if let request = refusedClearly({ try AccountStreamerRequest(json: body) }) {
            invariant((try? AccountStreamerRequest(json: Array(request.json.utf8))) == request, "request \(request.json) read back differently")
        }
    case .dxlink:
        if let message = refusedClearly({ try DXLinkMessage.decode(body) }) {
            invariant((try? DXLinkMessage.decode(message.json)) == message, "DXLink \(message.json) read back differently")
        }
    case .feedData:
        checkFeed(body)
    case .orderSymbol:
        let text = String(decoding: body.dropFirst(), as: UTF8.self)
        let type = body.first.flatMap { TastyInstrumentType.allCases.count > Int($0) ? TastyInstrumentType.allCases[Int($0)] : nil }
        checkOrderSymbol(text, type: type)
    case .streamerSymbol:
        checkStreamerSymbol(String(decoding: body, as: UTF8.self))
    }
    return 0
}

/// The reader's value, or nil when it refused with a TastyTradeFormatError that says what was wrong; any other error
/// breaks the promise of the module's readers.
func refusedClearly<T>(_ read: () throws -> T) -> T? {
    do {
        return try read()
    } catch let error as TastyTradeFormatError {
        invariant(!error.message.isEmpty, "a refusal without a message")
        return nil
    } catch {
        violated("refused with \(type(of: error)), not a TastyTradeFormatError: \(error)")
    }
}

#if !TICKHUB_FUZZING
@main enum ReplayMain {
    static func main() { Replay.run(fuzz) }
}
#endif
