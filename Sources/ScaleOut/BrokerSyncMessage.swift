import HubProtocol
import TickhubCore

/// A synced broker's state (TastyTrade's) as the leading ingest relays it on `status.brokers`: the object of
/// `/api/health`'s `brokers`, so that an edge's health and `/api/brokers` say what the ingest's do.
public struct BrokerSyncMessage: Equatable, Sendable {
    public var status: BrokerSyncStatus

    public init(_ status: BrokerSyncStatus) { self.status = status }

    public var json: [UInt8] {
        var w = JSONWriter()
        BrokerSyncJSON.write(status, into: &w)
        return w.bytes
    }

    public init(json bytes: [UInt8]) throws(RelayMessageError) {
        let f = try RelayFields(bytes, message: "broker sync")
        let name = try f.string("state")
        guard let state = BrokerSyncStatus.State(rawValue: name) else { throw f.refuse("state", "a state the hub knows, not \(name)") }
        status = BrokerSyncStatus(broker: try f.string("name"), state: state, detail: try f.optionalString("detail"),
                                  accounts: try f.strings("accounts"), lastSyncAt: try f.optionalInteger("lastSyncAt"))
    }
}
