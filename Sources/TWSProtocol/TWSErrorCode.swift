/// What a TWS error or notice code means for a client that streams market data.
///
/// TWS sends errors, warnings and system notices through one message; clients that treat all of them alike
/// either end streams on advisories (10167, 10090) or keep requests that are dead (200, 354). This table is
/// the single place those codes are interpreted. Match on codes, never on text: the text carries suffixes.
public enum TWSNotice: Equatable, Sendable {
    /// TWS lost its link to IBKR (1100); the socket stays up, data stops.
    case linkLost
    /// Restored (1101 data lost: re-request everything; 1102 data kept).
    case linkRestored(dataLost: Bool)
    /// A market-data farm is down (2103; 2110 TWS-to-server connectivity) or back (2104). Historical and
    /// sec-def farm notices (2105-2108, 2157, 2158) do not affect streaming quotes and are informational.
    case farmBroken
    case farmRestored
    /// 10197: a competing live session took the data.
    case competingSession
    /// 326: another connection has this client id; TWS closes the socket.
    case clientIDInUse
    /// 0 and 100: the client is sending too fast.
    case pacing
    /// 101: no market-data line left.
    case maxTickers
    /// The request can never succeed as sent; its stream has ended.
    case requestEnded(RequestEndReason)
    /// Keep the stream: delayed data follows (10167), or only part of it is missing (10090).
    case advisory(delayedFollows: Bool)
    /// 300, 322 and friends: bookkeeping errors on the client's side.
    case requestBookkeeping
    /// 2100-2199 and other informational codes.
    case informational
    /// Anything else: an error for the request it names.
    case requestFailed

    public enum RequestEndReason: Equatable, Sendable {
        /// 200: no such contract, or ambiguous.
        case unknownContract
        /// 354, 10089: no live entitlement (10089: delayed data is available).
        case notEntitled(delayedAvailable: Bool)
        /// 10168, 10186: not entitled, and delayed data is not enabled.
        case delayedNotEnabled
        /// 321 and other validation failures.
        case invalidRequest
    }

    public init(code: Int) {
        switch code {
        case 1100: self = .linkLost
        case 1101: self = .linkRestored(dataLost: true)
        case 1102: self = .linkRestored(dataLost: false)
        case 2103, 2110: self = .farmBroken
        case 2104: self = .farmRestored
        case 10197: self = .competingSession
        case 326: self = .clientIDInUse
        case 0, 100: self = .pacing
        case 101: self = .maxTickers
        case 200: self = .requestEnded(.unknownContract)
        case 354: self = .requestEnded(.notEntitled(delayedAvailable: false))
        case 10089: self = .requestEnded(.notEntitled(delayedAvailable: true))
        case 10168, 10186: self = .requestEnded(.delayedNotEnabled)
        case 321: self = .requestEnded(.invalidRequest)
        case 10167: self = .advisory(delayedFollows: true)
        case 10090: self = .advisory(delayedFollows: false)
        case 102, 300, 322: self = .requestBookkeeping
        case 2100...2199: self = .informational
        default: self = .requestFailed
        }
    }
}
