import HubProtocol
import TickhubCore

/// What the fan-out asks of the server around it: answers that come later, whether it is stopping, and the other
/// shards' figures. One of `TickhubServer`'s shards is the one in the product; the fan-out's tests use a fake.
package protocol FanoutHost: AnyObject, Sendable {
    /// The server is shutting down: nothing more is written to clients.
    var isStopping: Bool { get }
    /// An HTTP answer worked out off the service thread; it reaches the exchange on the service thread.
    func reply(_ exchange: Int, _ response: HTTPResponse)
    /// Something this shard learnt that every shard must apply, this one included.
    func tellEveryShard(_ event: HubEvent)
    /// A file of `directory` (the dashboard's, the docs'), for `path`; 404 when there is none.
    func file(_ path: String, in directory: String?) -> HTTPResponse
    /// The other shards' figures, each taken on its own thread when asked; none when this is the only shard.
    func otherShards() async -> [ShardFigures]
}

extension FanoutHost {
    /// The outcome of the latest database write: nil when it worked. Every shard's `/api/health` reports it.
    package func reportDatabase(_ problem: String?, write: DatabaseWrite) { tellEveryShard(.databaseProblem(problem, write: write)) }
}

/// The parts of Tickhub the hub is wired to, each behind a protocol the hub owns.
package struct HubWiring: Sendable {
    package var upstream: any MarketDataUpstream
    /// The broker link `/api/ibkr/*` reports on and controls; nil in a hub without one.
    package var connection: (any ConnectionControl)?
    package var archive: (any HubArchive)?
    /// Features that serve HTTP routes of their own (positions in the database).
    package var features: [any HubFeature]
    /// The chart desk, told which bar series the clients want; nil in a hub without charts (bar subscriptions then
    /// get only what is published).
    package var charts: (any ChartUpstream)?
    /// What `/api/health` says of this process's part in a scaled-out Tickhub; nil for the one process of `--role all`.
    package var scaleOut: (any ScaleOutHealth)?

    package init(upstream: any MarketDataUpstream, connection: (any ConnectionControl)? = nil, archive: (any HubArchive)? = nil,
                features: [any HubFeature] = [], charts: (any ChartUpstream)? = nil, scaleOut: (any ScaleOutHealth)? = nil) {
        self.upstream = upstream
        self.connection = connection
        self.archive = archive
        self.features = features
        self.charts = charts
        self.scaleOut = scaleOut
    }
}
