import HubProtocol
import TickhubCore

/// One broker's account balances as the leading ingest relays them on `portfolio.balances`, as text with their
/// currency, the way the broker reported them.
public struct BalancesMessage: Equatable, Sendable {
    public var broker: String
    public var balances: [AccountBalance]

    public init(broker: String, _ balances: [AccountBalance]) {
        self.broker = broker
        self.balances = balances
    }

    public var json: [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("broker", broker)
        w.key("balances")
        AccountBalanceJSON.write(balances, into: &w)
        w.endObject()
        return w.bytes
    }

    public init(json bytes: [UInt8]) throws(RelayMessageError) {
        let f = try RelayFields(bytes, message: "balances")
        broker = try f.string("broker")
        var balances: [AccountBalance] = []
        for element in try f.array("balances") {
            let b = try RelayFields(element, message: "balance")
            balances.append(AccountBalance(account: try b.string("account"), tag: try b.string("tag"), value: try b.string("value"),
                                           currency: try b.string("currency")))
        }
        self.balances = balances
    }
}
