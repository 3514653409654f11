/// Why something TastyTrade or DXLink sent could not be read: what was wrong, and where in the message.
public struct TastyTradeFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
