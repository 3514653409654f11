import Foundation
import FuzzSupport
import ClientPortal
import TickhubCore

// fuzz-clientportal: the Client Portal Web API's answers and stream messages through every reader of the ClientPortal
// module, as the transport (and the simulator, for the client's commands) uses them.
//
// Input: [form] then the body. The form picks the reader (`Form`, modulo its count); `encoderRoundTrip` reads the
// body as a program instead (EncoderProgram.swift).
//
// Checked on every input:
// - nothing traps, whatever the bytes;
// - every number read is finite; a conid is 1 or more; a formatted number read back from its own spelling is itself;
// - a market-data update applied to a quote leaves only finite values, positive prices, sizes of zero or more, and
//   applied a second time changes nothing; a priming reply changes nothing;
// - whatever an answer's reader gives, written back by its encoder (the simulator's) and read again, is the same;
// - a client command read from text is read the same from its own text;
// - values the simulator writes (StreamEncoding, FieldText) are read back by the transport's reader as written;
// - a history answer's bars, at every interval, are candles with finite prices and volumes on their interval's
//   boundaries, in time order, and its rows survive the simulator's encoding.

enum Form: UInt8, CaseIterable {
    case streamMessage, snapshot, formattedNumber, availability, authStatus, tickle, brokerageAccounts, secdefSearch,
         stocks, portfolioAccounts, positions, summary, partitionedPnL, streamCommand, encoderRoundTrip, secdefInfo,
         currencyPairs, history
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let form = Form.allCases[Int(input.byte()) % Form.allCases.count]
    if form == .encoderRoundTrip {
        var program = input
        checkEncoders(&program)
        return 0
    }
    let body = Data(input.rest())
    switch form {
    case .streamMessage:
        if case let .marketData(update) = StreamMessage.decode(body) { checkUpdate(update) }
    case .snapshot:
        if let reply = try? MarketDataUpdate.decodeSnapshot(body) { reply.updates.forEach(checkUpdate) }
    case .formattedNumber:
        checkFormatted(String(decoding: body, as: UTF8.self))
    case .availability:
        if let availability = MarketDataAvailability(code: String(decoding: body, as: UTF8.self)) {
            invariant(MarketDataAvailability(code: availability.code) == availability, "availability \(availability.code) read back differently")
        }
    case .authStatus:
        if let status = try? AuthStatus.decode(body) {
            invariant((try? AuthStatus.decode(Data(status.json.utf8))) == status, "auth status \(status) did not survive its encoding")
        }
    case .tickle:
        if let answer = try? TickleAnswer.decode(body) {
            invariant(!answer.session.isEmpty, "a tickle answer without a session")
            invariant((try? TickleAnswer.decode(Data(answer.json.utf8))) == answer, "tickle \(answer) did not survive its encoding")
        }
    case .brokerageAccounts:
        if let accounts = try? BrokerageAccounts.decode(body) {
            invariant(!accounts.accounts.contains(""), "an empty account id")
            invariant((try? BrokerageAccounts.decode(Data(accounts.json.utf8))) == accounts, "accounts \(accounts) did not survive")
        }
    case .secdefSearch:
        if let results = try? ContractSearchResult.decodeList(body) {
            invariant(results.allSatisfy { $0.conid >= 1 }, "a search result without a valid conid")
            let again = try? ContractSearchResult.decodeList(Data(ContractSearchResult.json(results).utf8))
            invariant(again == results, "search results did not survive their encoding")
            if let conid = ContractSearchResult.stockConid(for: "AAPL", in: results) {
                invariant(results.contains { $0.conid == conid && $0.secTypes.contains("STK") }, "a stock conid from no stock result")
            }
        }
    case .stocks:
        if let listings = try? StockListing.decode(body) {
            invariant(listings.values.joined().allSatisfy { $0.contracts.allSatisfy { $0.conid >= 1 } }, "a contract with conid < 1")
            invariant((try? StockListing.decode(Data(StockListing.json(listings).utf8))) == listings, "stock listings did not survive")
        }
    case .portfolioAccounts:
        if let accounts = try? PortfolioAccount.decodeList(body) {
            invariant(accounts.allSatisfy { !$0.accountId.isEmpty }, "an account without an id")
            invariant((try? PortfolioAccount.decodeList(Data(PortfolioAccount.json(accounts).utf8))) == accounts, "accounts did not survive")
        }
    case .positions:
        if let page = try? PortfolioPosition.decodePage(body) { checkPositions(page.positions) }
    case .summary:
        if let entries = try? AccountSummary.decode(body) { checkSummary(entries) }
    case .partitionedPnL:
        if let rows = try? PartitionedPnL.decode(body) {
            for row in rows {
                for value in [row.dailyPnl, row.netLiquidation, row.unrealizedPnl, row.excessLiquidity, row.marketValue] {
                    if let value { invariant(value.isFinite, "a P&L figure of \(value)") }
                }
            }
            invariant((try? PartitionedPnL.decode(Data(PartitionedPnL.json(rows).utf8))) == rows, "P&L rows did not survive")
        }
    case .streamCommand:
        if let command = StreamCommand.parse(String(decoding: body, as: UTF8.self)) {
            invariant(StreamCommand.parse(command.text) == command, "command \(command.text) read back differently")
        }
    case .encoderRoundTrip:
        break
    case .secdefInfo:
        if let contracts = try? OptionContract.decodeList(body) {
            invariant(contracts.allSatisfy { $0.conid >= 1 && $0.strike > 0 && $0.strike.isFinite && $0.maturityDate.count == 8 },
                      "an option contract with a bad conid, strike or maturity")
            invariant((try? OptionContract.decodeList(Data(OptionContract.json(contracts).utf8))) == contracts, "option contracts did not survive")
            if let first = contracts.first, let right = OptionTerms.Right(rawValue: first.right) {
                let terms = OptionTerms(underlying: first.symbol, expiry: first.maturityDate, right: right, strike: first.strike)
                invariant(OptionContract.matching(terms, in: contracts) != nil, "a listed contract not matched by its own terms")
            }
        }
    case .currencyPairs:
        if let pairs = try? CurrencyPair.decode(body) {
            invariant(pairs.values.joined().allSatisfy { $0.conid >= 1 && !$0.symbol.isEmpty }, "a pair without a conid or symbol")
            invariant((try? CurrencyPair.decode(Data(CurrencyPair.json(pairs).utf8))) == pairs, "currency pairs did not survive")
        }
    case .history:
        if let answer = try? MarketDataHistory.decode(body) {
            for interval in BarInterval.allCases {
                let bars = answer.bars(interval: interval, hasVolume: true)
                invariant(bars.allSatisfy { $0.isConsistent && ($0.volume?.isFinite ?? true) && $0.time % interval.milliseconds == 0 },
                          "a history bar that is no candle at \(interval.rawValue)")
                invariant(zip(bars, bars.dropFirst()).allSatisfy { $0.time < $1.time }, "history bars out of order")
            }
            let again = try? MarketDataHistory.decode(Data(answer.json(timePeriod: "1d", outsideRth: false).utf8))
            invariant(again?.rows.map { [$0.o, $0.h, $0.l, $0.c] } == answer.rows.map { [$0.o, $0.h, $0.l, $0.c] }
                && again?.rows.map(\.t) == answer.rows.map(\.t), "history rows did not survive their encoding")
        }
    }
    return 0
}

#if !TICKHUB_FUZZING
@main enum ReplayMain {
    static func main() { Replay.run(fuzz) }
}
#endif
