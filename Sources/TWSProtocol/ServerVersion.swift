/// Server-version gates this codec honours. A layout checks `coder.serverVersion >= ServerVersion.x`.
///
/// Names follow the official `MIN_SERVER_VER_*` constants without the prefix.
public enum ServerVersion {
    public static let optionalCapabilities = 72
    public static let linking = 70
    public static let smartComponents = 114
    public static let unrealizedPnL = 129
    public static let realizedPnL = 135
    public static let encodeMessageASCII7 = 153
    /// tickOptionComputation drops its version field and gains tickAttrib (0 return-based, 1 price-based).
    public static let priceBasedVolatility = 156
    public static let sizeRules = 164
    public static let advancedOrderReject = 166
    public static let bondIssuerID = 176
    public static let lastTradeDate = 182
    public static let ineligibilityReasons = 186
    public static let errorTime = 194
    /// historicalData stops carrying the start and end dates; they come after the bars in historicalDataEnd (108).
    public static let historicalDataEnd = 196
    /// From here the message id travels as a binary integer; this codec stays below it.
    public static let protobuf = 201

    /// The range this client advertises: what ib_async speaks, and what TWS 10.x still accepts.
    public static let clientRange: ClosedRange<Int> = 157...178
    /// The lowest version whose layouts this codec knows.
    public static let minimumSupported = 157
    /// The highest version whose text layouts this codec knows.
    public static let maximumSupported = 200
}
