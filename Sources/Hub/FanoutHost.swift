import HubProtocol
import TickhubCore

/// What the fan-out asks of the server around it: the backend (providers, database), answers that come later, and
/// whether it is stopping. `TickhubServer` is the one in the product; the fan-out's tests use a fake.
package protocol FanoutHost: AnyObject, Sendable {
    var backend: HubBackend { get }
    /// The server is shutting down: nothing more is written to clients.
    var isStopping: Bool { get }
    /// An HTTP answer worked out off the service thread; it reaches the exchange on the service thread.
    func reply(_ exchange: Int, _ response: HTTPResponse)
    /// The outcome of the latest database write: nil when it worked.
    func reportDatabase(_ problem: String?)
    func ibkrStatusResponse() async -> HTTPResponse
}
