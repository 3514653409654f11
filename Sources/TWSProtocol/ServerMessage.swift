import NIOCore

/// Every TWS → client message this codec models. Anything else decodes to `.unknown` and is skipped by callers.
public enum ServerMessage: Equatable, Sendable {
    case tickPrice(TickPrice)
    case tickSize(TickSize)
    case tickString(TickString)
    case tickGeneric(TickGeneric)
    case tickOptionComputation(TickOptionComputation)
    case tickRequestParameters(TickRequestParameters)
    case marketDataType(MarketDataType)
    case tickSnapshotEnd(TickSnapshotEnd)
    case error(ErrorMessage)
    case nextValidID(NextValidID)
    case managedAccounts(ManagedAccounts)
    case currentTime(CurrentTime)
    case position(Position)
    case positionEnd(PositionEnd)
    case accountSummary(AccountSummary)
    case accountSummaryEnd(AccountSummaryEnd)
    case accountValue(AccountValue)
    case portfolioValue(PortfolioValue)
    case accountUpdateTime(AccountUpdateTime)
    case accountDownloadEnd(AccountDownloadEnd)
    case accountUpdateMulti(AccountUpdateMulti)
    case accountUpdateMultiEnd(AccountUpdateMultiEnd)
    case accountPnL(AccountPnL)
    case positionPnL(PositionPnL)
    case contractDetails(ContractDetails)
    case contractDetailsEnd(ContractDetailsEnd)
    case openOrderEnd(OpenOrderEnd)
    case completedOrdersEnd(CompletedOrdersEnd)
    case executionDetailsEnd(ExecutionDetailsEnd)
    case historicalData(HistoricalData)
    case historicalDataEnd(HistoricalDataEnd)
    case historicalDataUpdate(HistoricalDataUpdate)
    case headTimestamp(HeadTimestamp)
    /// A message id this codec does not model (orders, executions, news, ...). Skipped, never fatal.
    case unknown(id: Int)

    /// Decodes one frame payload. Throws only for a known message whose fields are missing or malformed.
    public static func decode(_ frame: ByteBuffer, serverVersion: Int) throws -> ServerMessage {
        try frame.withFieldReader(serverVersion: serverVersion) { id, r in
            switch id {
            case TickPrice.id: return .tickPrice(try .read(from: &r))
            case TickSize.id: return .tickSize(try .read(from: &r))
            case TickString.id: return .tickString(try .read(from: &r))
            case TickGeneric.id: return .tickGeneric(try .read(from: &r))
            case TickOptionComputation.id: return .tickOptionComputation(try .read(from: &r))
            case TickRequestParameters.id: return .tickRequestParameters(try .read(from: &r))
            case MarketDataType.id: return .marketDataType(try .read(from: &r))
            case TickSnapshotEnd.id: return .tickSnapshotEnd(try .read(from: &r))
            case ErrorMessage.id: return .error(try .read(from: &r))
            case NextValidID.id: return .nextValidID(try .read(from: &r))
            case ManagedAccounts.id: return .managedAccounts(try .read(from: &r))
            case CurrentTime.id: return .currentTime(try .read(from: &r))
            case Position.id: return .position(try .read(from: &r))
            case PositionEnd.id: return .positionEnd(try .read(from: &r))
            case AccountSummary.id: return .accountSummary(try .read(from: &r))
            case AccountSummaryEnd.id: return .accountSummaryEnd(try .read(from: &r))
            case AccountValue.id: return .accountValue(try .read(from: &r))
            case PortfolioValue.id: return .portfolioValue(try .read(from: &r))
            case AccountUpdateTime.id: return .accountUpdateTime(try .read(from: &r))
            case AccountDownloadEnd.id: return .accountDownloadEnd(try .read(from: &r))
            case AccountUpdateMulti.id: return .accountUpdateMulti(try .read(from: &r))
            case AccountUpdateMultiEnd.id: return .accountUpdateMultiEnd(try .read(from: &r))
            case AccountPnL.id: return .accountPnL(try .read(from: &r))
            case PositionPnL.id: return .positionPnL(try .read(from: &r))
            case ContractDetails.id: return .contractDetails(try .read(from: &r))
            case ContractDetailsEnd.id: return .contractDetailsEnd(try .read(from: &r))
            case OpenOrderEnd.id: return .openOrderEnd(try .read(from: &r))
            case CompletedOrdersEnd.id: return .completedOrdersEnd(try .read(from: &r))
            case ExecutionDetailsEnd.id: return .executionDetailsEnd(try .read(from: &r))
            case HistoricalData.id: return .historicalData(try .read(from: &r))
            case HistoricalDataEnd.id: return .historicalDataEnd(try .read(from: &r))
            case HistoricalDataUpdate.id: return .historicalDataUpdate(try .read(from: &r))
            case HeadTimestamp.id: return .headTimestamp(try .read(from: &r))
            default: return .unknown(id: id)
            }
        }
    }

    /// The message inside, for encoding; nil for `.unknown`.
    public var message: (any TWSMessage)? {
        switch self {
        case let .tickPrice(m): m
        case let .tickSize(m): m
        case let .tickString(m): m
        case let .tickGeneric(m): m
        case let .tickOptionComputation(m): m
        case let .tickRequestParameters(m): m
        case let .marketDataType(m): m
        case let .tickSnapshotEnd(m): m
        case let .error(m): m
        case let .nextValidID(m): m
        case let .managedAccounts(m): m
        case let .currentTime(m): m
        case let .position(m): m
        case let .positionEnd(m): m
        case let .accountSummary(m): m
        case let .accountSummaryEnd(m): m
        case let .accountValue(m): m
        case let .portfolioValue(m): m
        case let .accountUpdateTime(m): m
        case let .accountDownloadEnd(m): m
        case let .accountUpdateMulti(m): m
        case let .accountUpdateMultiEnd(m): m
        case let .accountPnL(m): m
        case let .positionPnL(m): m
        case let .contractDetails(m): m
        case let .contractDetailsEnd(m): m
        case let .openOrderEnd(m): m
        case let .completedOrdersEnd(m): m
        case let .executionDetailsEnd(m): m
        case let .historicalData(m): m
        case let .historicalDataEnd(m): m
        case let .historicalDataUpdate(m): m
        case let .headTimestamp(m): m
        case .unknown: nil
        }
    }
}
