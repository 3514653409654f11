import TickhubCore

/// The providers the manager can pick from, in the default order of preference.
public typealias ProviderName = QuoteSource
