// The many TWS messages that carry nothing but an optional version field, or that and a request id
// (end markers, cancels): one layout for all of them.

/// A message whose body is at most a version field.
public protocol EmptyMessage: TWSMessage {
    /// The version field's value, or nil when the message has none.
    static var version: Int? { get }
}

extension EmptyMessage {
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        if let version = Self.version { try c.version(version) }
    }
}

/// A message whose body is an optional version field and a request id.
public protocol RequestIDMessage: TWSMessage {
    static var version: Int? { get }
    var requestID: Int { get set }
}

extension RequestIDMessage {
    public init(requestID: Int) {
        self.init()
        self.requestID = requestID
    }

    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        if let version = Self.version { try c.version(version) }
        try c.field(&requestID)
    }
}
