/// A connection's counts since it was made: the C client's, and the failed writes of its buckets.
public struct NATSStatistics: Sendable, Equatable {
    public var inMessages: UInt64
    public var inBytes: UInt64
    public var outMessages: UInt64
    public var outBytes: UInt64
    public var reconnects: UInt64
    /// Key-value writes sent without waiting (`putNoWait`) that the server refused or never acknowledged.
    public var keyValueWritesFailed: UInt64

    public init(
        inMessages: UInt64 = 0, inBytes: UInt64 = 0, outMessages: UInt64 = 0, outBytes: UInt64 = 0, reconnects: UInt64 = 0,
        keyValueWritesFailed: UInt64 = 0
    ) {
        self.inMessages = inMessages
        self.inBytes = inBytes
        self.outMessages = outMessages
        self.outBytes = outBytes
        self.reconnects = reconnects
        self.keyValueWritesFailed = keyValueWritesFailed
    }
}
