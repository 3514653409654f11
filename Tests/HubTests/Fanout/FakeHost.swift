import HubProtocol
import Synchronization
import TickhubCore

@testable import Hub

/// The server around the fan-out, as far as the fan-out sees it: upstream interest is recorded, nothing else is
/// done.
final class FakeHost: FanoutHost {
    struct Upstream: Sendable {
        var subscribed: [String] = []
        var unsubscribed: [String] = []
    }

    let upstream = Mutex(Upstream())
    let backend: HubBackend = NoBackend()
    var isStopping: Bool { false }

    func reply(_ exchange: Int, _ response: HTTPResponse) {}
    func reportDatabase(_ problem: String?) {}
    func ibkrStatusResponse() async -> HTTPResponse { .error(503, code: "ibkr_disabled", "none") }
    func backendSubscribe(_ instruments: [Instrument]) { upstream.withLock { $0.subscribed += instruments.map(\.symbol) } }
    func backendUnsubscribe(_ symbols: [String]) { upstream.withLock { $0.unsubscribed += symbols } }
    func backendPrioritize(_ symbols: [String]) {}

    var subscribed: [String] { upstream.withLock { $0.subscribed } }
    var unsubscribed: [String] { upstream.withLock { $0.unsubscribed } }
}

struct NoBackend: HubBackend {
    func subscribe(_ instruments: [Instrument]) async {}
    func unsubscribe(_ symbols: [String]) async {}
    func ibkrStatus() async -> BrokerConnectionStatus? { nil }
    func setIBKRConnected(_ connected: Bool) async {}
}
