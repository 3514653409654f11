import NIOCore

/// Every client → TWS request this codec models; what the simulator reads.
public enum ClientMessage: Equatable, Sendable {
    case startAPI(StartAPI)
    case requestMarketData(RequestMarketData)
    case cancelMarketData(CancelMarketData)
    case requestMarketDataType(RequestMarketDataType)
    case requestContractDetails(RequestContractDetails)
    case requestPositions(RequestPositions)
    case cancelPositions(CancelPositions)
    case requestAccountSummary(RequestAccountSummary)
    case cancelAccountSummary(CancelAccountSummary)
    case requestAccountUpdates(RequestAccountUpdates)
    case requestAccountUpdatesMulti(RequestAccountUpdatesMulti)
    case requestPnL(RequestPnL)
    case cancelPnL(CancelPnL)
    case requestPnLSingle(RequestPnLSingle)
    case cancelPnLSingle(CancelPnLSingle)
    case requestIDs(RequestIDs)
    case requestCurrentTime(RequestCurrentTime)
    case requestManagedAccounts(RequestManagedAccounts)
    case requestOpenOrders(RequestOpenOrders)
    case requestAllOpenOrders(RequestAllOpenOrders)
    case requestAutoOpenOrders(RequestAutoOpenOrders)
    case requestCompletedOrders(RequestCompletedOrders)
    case requestExecutions(RequestExecutions)
    case unknown(id: Int)

    public static func decode(_ frame: ByteBuffer, serverVersion: Int) throws -> ClientMessage {
        try frame.withFieldReader(serverVersion: serverVersion) { id, r in
            switch id {
            case StartAPI.id: return .startAPI(try .read(from: &r))
            case RequestMarketData.id: return .requestMarketData(try .read(from: &r))
            case CancelMarketData.id: return .cancelMarketData(try .read(from: &r))
            case RequestMarketDataType.id: return .requestMarketDataType(try .read(from: &r))
            case RequestContractDetails.id: return .requestContractDetails(try .read(from: &r))
            case RequestPositions.id: return .requestPositions(try .read(from: &r))
            case CancelPositions.id: return .cancelPositions(try .read(from: &r))
            case RequestAccountSummary.id: return .requestAccountSummary(try .read(from: &r))
            case CancelAccountSummary.id: return .cancelAccountSummary(try .read(from: &r))
            case RequestAccountUpdates.id: return .requestAccountUpdates(try .read(from: &r))
            case RequestAccountUpdatesMulti.id: return .requestAccountUpdatesMulti(try .read(from: &r))
            case RequestPnL.id: return .requestPnL(try .read(from: &r))
            case CancelPnL.id: return .cancelPnL(try .read(from: &r))
            case RequestPnLSingle.id: return .requestPnLSingle(try .read(from: &r))
            case CancelPnLSingle.id: return .cancelPnLSingle(try .read(from: &r))
            case RequestIDs.id: return .requestIDs(try .read(from: &r))
            case RequestCurrentTime.id: return .requestCurrentTime(try .read(from: &r))
            case RequestManagedAccounts.id: return .requestManagedAccounts(try .read(from: &r))
            case RequestOpenOrders.id: return .requestOpenOrders(try .read(from: &r))
            case RequestAllOpenOrders.id: return .requestAllOpenOrders(try .read(from: &r))
            case RequestAutoOpenOrders.id: return .requestAutoOpenOrders(try .read(from: &r))
            case RequestCompletedOrders.id: return .requestCompletedOrders(try .read(from: &r))
            case RequestExecutions.id: return .requestExecutions(try .read(from: &r))
            default: return .unknown(id: id)
            }
        }
    }
}
