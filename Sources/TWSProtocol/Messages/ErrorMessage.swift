/// error (4): errors, warnings and system notices. Three layouts by server version:
/// below 166 `4|2|id|code|msg`; 166–193 adds advancedOrderRejectJson; from 194 no version, plus errorTime (ms).
public struct ErrorMessage: TWSMessage {
    public static let id = 4
    /// The request or order id, or -1 for system notices.
    public var requestID = -1
    public var code = 0
    public var message = ""
    public var advancedOrderRejectJSON = ""
    /// Epoch milliseconds, from server version 194.
    public var errorTime: Int? = nil
    public init() {}
    public init(requestID: Int, code: Int, message: String, errorTime: Int? = nil) {
        self.requestID = requestID
        self.code = code
        self.message = message
        self.errorTime = errorTime
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        if c.serverVersion < ServerVersion.errorTime { try c.version(2) }
        try c.field(&requestID); try c.field(&code); try c.field(&message)
        if c.serverVersion >= ServerVersion.advancedOrderReject { try c.field(&advancedOrderRejectJSON) }
        if c.serverVersion >= ServerVersion.errorTime { try c.field(&errorTime) }
    }
}
