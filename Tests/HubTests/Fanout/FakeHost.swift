import HubProtocol
import TickhubCore

@testable import Hub

/// The server around the fan-out, as far as the fan-out sees it: a backend that records what it is asked
/// upstream, nothing else.
final class FakeHost: FanoutHost {
    let recorder = RecordingBackend()
    var backend: HubBackend { recorder }
    var isStopping: Bool { false }

    func reply(_ exchange: Int, _ response: HTTPResponse) {}
    func reportDatabase(_ problem: String?) {}
    func ibkrStatusResponse() async -> HTTPResponse { .error(503, code: "ibkr_disabled", "none") }
}

/// Each subscribe and unsubscribe it gets, as one line, in the order they arrive (prioritize is left out).
final class RecordingBackend: HubBackend {
    let commands: AsyncStream<String>
    private let report: AsyncStream<String>.Continuation

    init() { (commands, report) = AsyncStream<String>.makeStream() }

    func subscribe(_ instruments: [Instrument]) async { report.yield("subscribe " + instruments.map(\.symbol).joined(separator: ",")) }
    func unsubscribe(_ symbols: [String]) async { report.yield("unsubscribe " + symbols.sorted().joined(separator: ",")) }
    func ibkrStatus() async -> BrokerConnectionStatus? { nil }
    func setIBKRConnected(_ connected: Bool) async {}
}
