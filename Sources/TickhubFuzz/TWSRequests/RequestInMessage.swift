import FuzzSupport
import TWSProtocol

/// The request inside a decoded message. ClientMessage has no accessor for it; a mirror finds it without a list of
/// cases here that would fall behind the enum's.
func request(in message: ClientMessage) -> any TWSMessage {
    guard let inner = Mirror(reflecting: message).children.first?.value as? any TWSMessage else {
        violated("\(message) carries no TWSMessage")
    }
    return inner
}
