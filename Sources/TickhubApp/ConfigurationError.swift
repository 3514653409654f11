/// A startup error in the user's terms: the one line the hub prints before it exits.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
