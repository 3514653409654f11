import HubProtocol
import TickhubCore

/// Every provider's health as the leading ingest relays it on `status.providers`, under `/api/health`'s names.
public struct ProviderHealthMessage: Equatable, Sendable {
    public var providers: [ProviderHealth]

    public init(_ providers: [ProviderHealth]) { self.providers = providers }

    public var json: [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("providers")
        w.beginArray()
        for p in providers {
            w.beginObject()
            w.field("name", p.name.rawValue)
            w.field("state", p.state.rawValue)
            w.field("detail", p.detail)
            w.field("until", p.until)
            w.field("available", p.available)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    public init(json bytes: [UInt8]) throws(RelayMessageError) {
        let f = try RelayFields(bytes, message: "provider health")
        var providers: [ProviderHealth] = []
        for element in try f.array("providers") {
            let p = try RelayFields(element, message: "provider health's provider")
            let name = try p.string("name")
            guard let source = QuoteSource(rawValue: name) else { throw p.refuse("name", "a provider the hub knows, not \(name)") }
            let stateName = try p.string("state")
            guard let state = ProviderState(rawValue: stateName) else { throw p.refuse("state", "a state the hub knows, not \(stateName)") }
            providers.append(ProviderHealth(name: source, state: state, detail: try p.optionalString("detail"),
                                            until: try p.optionalInteger("until"), available: try p.flag("available")))
        }
        self.providers = providers
    }
}
