// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Tickhub",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tickhub-sim", targets: ["tickhub-sim"]),
        .executable(name: "tickhub-bench", targets: ["tickhub-bench"]),
        .executable(name: "tickhub", targets: ["tickhub"]),
        .executable(name: "fuzz-tws-frames", targets: ["fuzz-tws-frames"]),
        .executable(name: "fuzz-tws-requests", targets: ["fuzz-tws-requests"]),
        .executable(name: "fuzz-symbols", targets: ["fuzz-symbols"]),
        .executable(name: "fuzz-quote-patch", targets: ["fuzz-quote-patch"]),
        .executable(name: "fuzz-positions-csv", targets: ["fuzz-positions-csv"]),
        .executable(name: "fuzz-yahoo", targets: ["fuzz-yahoo"]),
        .executable(name: "fuzz-alphavantage", targets: ["fuzz-alphavantage"]),
        .executable(name: "fuzz-publish", targets: ["fuzz-publish"]),
        .executable(name: "fuzz-stream-request", targets: ["fuzz-stream-request"]),
        .executable(name: "fuzz-http-path", targets: ["fuzz-http-path"]),
        .executable(name: "fuzz-clientportal", targets: ["fuzz-clientportal"]),
        .executable(name: "fuzz-tastytrade", targets: ["fuzz-tastytrade"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The Client Portal simulator's self-signed certificate, made at start.
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
    ],
    targets: [
        // Pure domain values and logic: no I/O, no threads.
        .target(name: "TickhubCore"),

        // TWS socket protocol: framing, handshake, message layouts shared by both directions. No sockets.
        .target(
            name: "TWSProtocol",
            dependencies: ["TickhubCore", .product(name: "NIOCore", package: "swift-nio")]
        ),

        // A TWS / IB Gateway stand-in on a real TCP port, as a library so tests can run it in-process; beside it, a
        // Client Portal Gateway stand-in (HTTPS and WSS, a certificate of its own) serving the same market.
        .target(
            name: "TWSSimulator",
            dependencies: [
                "TickhubCore", "TWSProtocol", "ClientPortal", "TastyTrade",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The IBKR provider: one TWS connection on NIO, reconnecting and resubscribing through every fault.
        .target(
            name: "IBKR",
            dependencies: [
                "TickhubCore", "TWSProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                "TickhubMetrics", .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // A WebSocket client on NIO (ws:// and wss://, text messages, pings answered, a bounded message size): the
        // brokers' streams, the Client Portal gateway's and TastyTrade's.
        .target(
            name: "WebSocketClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),

        // IBKR through the Client Portal gateway's Web API: REST on AsyncHTTPClient and the quote stream on a WebSocket,
        // paced under IBKR's limits, as a second IBKR transport beside TWS's socket.
        .target(
            name: "IBKRClientPortal",
            dependencies: [
                "TickhubCore", "IBKR", "TWSProtocol", "ClientPortal", "WebSocketClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Market data from several providers: the provider abstraction, per-symbol failover, Yahoo and Alpha Vantage.
        .target(
            name: "MarketData",
            dependencies: [
                "TickhubCore", "IBKR", "ProviderParsing",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
                "TickhubMetrics", .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // What Yahoo Finance and Alpha Vantage answer, read into Tickhub's values: pure, no HTTP client, so its fuzz
        // targets build without one.
        .target(name: "ProviderParsing", dependencies: ["TickhubCore"]),

        // The Client Portal Web API's vocabulary, both sides: field codes, formatted numbers, stream topics and
        // messages, session and portfolio answers. Pure, so the simulator, the transport and a fuzz target share it.
        .target(name: "ClientPortal", dependencies: ["TickhubCore"]),

        // TastyTrade's vocabulary, both sides: OAuth answers, accounts, positions and balances in dasherized JSON with
        // string decimals, the account streamer's messages, DXLink's messages and compact feed, and its symbols mapped
        // to Tickhub's grammar. Pure, so the simulator, the broker and a fuzz target share it.
        .target(name: "TastyTrade", dependencies: ["TickhubCore"]),

        // The TastyTrade broker: OAuth tokens kept fresh, accounts, positions and balances fetched and kept current
        // from the account streamer, and its market data over DXLink as a quote provider.
        .target(
            name: "TastyTradeBroker",
            dependencies: [
                "TickhubCore", "TastyTrade", "MarketData", "Store", "WebSocketClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),

        // Positions kept in the database: routes registered into the hub, which values them live.
        .target(
            name: "Portfolio",
            dependencies: ["TickhubCore", "Hub", "HubProtocol", "Store", .product(name: "Logging", package: "swift-log")]
        ),

        // libwebsockets from Debian (4.1.6, with libuv), and the few helpers Swift cannot import from it.
        .systemLibrary(name: "CLws", pkgConfig: "libwebsockets", providers: [.apt(["libwebsockets-dev", "libuv1-dev"])]),
        .target(name: "CLwsShim", dependencies: ["CLws", "CReadWatch"], linkerSettings: [.linkedLibrary("websockets"), .linkedLibrary("uv")]),
        // Frame masks and request lines, walked per descriptor in the bytes the read tap sees; plain C.
        .target(name: "CReadWatch"),
        // The recv tap that lets the server see WebSocket frame masks lws does not report, and the bind tap that lets
        // the shards share their port; linked into `tickhub` alone, which exports them so that lws's calls reach them.
        .target(name: "CRecvTap", dependencies: ["CReadWatch", "CLwsShim"], linkerSettings: [.linkedLibrary("dl")]),
        // libuv's uv_poll_start changing a live watcher's events in place rather than dropping and re-adding it;
        // linked into `tickhub` alone, which exports it so that lws's calls reach it.
        .target(name: "CPollRearm", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("uv")]),

        // NATS, for scale-out: Debian's C client (libnats 3.4) as a system library, and `NATSLink`, the Swift side of
        // it (connections, subscriptions, requests, JetStream key-value buckets) with its blocking calls off Swift's
        // cooperative pool.
        .systemLibrary(name: "CNats", pkgConfig: "libnats", providers: [.apt(["libnats-dev"])]),
        .target(name: "NATSLink", dependencies: ["CNats"]),

        // What publishers send the hub, decoded and checked, and text from requests made fit to quote: pure, so the
        // fuzz targets over it build without the server's C and HTTP client.
        .target(name: "HubProtocol", dependencies: ["TickhubCore"]),
        // Scale-out's vocabulary, pure: the NATS subjects and buckets, the interest leases, the leader's lease and
        // epochs, the relayed status messages; the hubs on either side of NATS speak it.
        .target(name: "ScaleOut", dependencies: ["TickhubCore", "HubProtocol"]),

        // The fan-out engine, C-free: stream clients and their conflated updates, symbol interest, the market view, the
        // P&L view, publishers, and the route table features register into; and what a server's shards share (the
        // broadcast of hub-wide events, the union of their upstream interest). Clients are reached through
        // `Connection`, upstream through protocols of its own (MarketDataUpstream, ConnectionControl, HubArchive).
        .target(
            name: "Hub",
            dependencies: [
                "TickhubCore", "HubProtocol", "TickhubMetrics", .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),

        // The process's registry of metrics counted off the fan-out path (swift-metrics counters from the providers,
        // the process's own figures from /proc, the build), rendered by swift-prometheus into `/metrics`.
        .target(
            name: "TickhubMetrics",
            dependencies: [
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // Scale-out's two sides of NATS: the ingest (the leader's election, the feed relayed from the hub's publishing
        // side, edges' interest leases, their control requests) and the edge (a hub fed over NATS).
        .target(
            name: "Relay",
            dependencies: [
                "Hub", "HubProtocol", "LwsHost", "NATSLink", "ScaleOut", "MarketData", "TickhubCore", "TickhubMetrics",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        // The libwebsockets host: the service thread and its libuv loop, the inbox, the callback switch, and the
        // `Connection` over an lws socket. The one module that imports CLws.
        .target(
            name: "LwsHost",
            dependencies: [
                "Hub", "TickhubCore", "HubProtocol", "CLws", "CLwsShim", "CReadWatch",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Persistence for positions and P&L: one SQLite file in WAL mode behind a GRDB pool.
        .target(
            name: "Store",
            dependencies: [
                "TickhubCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Candles: a series per symbol and interval, backfilled from the providers' history (kept in the database
        // between runs) and kept forming from the hub's live quotes; the bars route registered into the hub.
        .target(
            name: "Charts",
            dependencies: [
                "TickhubCore", "Hub", "HubProtocol", "Store", "TickhubMetrics",
                .product(name: "Logging", package: "swift-log"), .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // Price alerts: the rules kept in the database, evaluated on each quote of their symbol, delivered to the
        // stream, webhooks and Telegram; the alerts routes registered into the hub.
        .target(
            name: "Alerts",
            dependencies: [
                "TickhubCore", "Hub", "HubProtocol", "Store",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),

        // The app: configuration (file, environment, flags), assets, and the wiring of providers, store and server.
        .target(
            name: "TickhubApp",
            dependencies: [
                "Hub", "LwsHost", "HubProtocol", "IBKR", "IBKRClientPortal", "TastyTradeBroker", "MarketData", "Portfolio", "Charts", "Alerts", "Store", "TickhubCore",
                "TWSSimulator", "Relay", "NATSLink", "ScaleOut",
                "TickhubProcess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),

        // What every executable does at start and exit: version, logging, termination signals.
        .target(
            name: "TickhubProcess",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            plugins: ["BuildInfoPlugin"]
        ),
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),

        .executableTarget(
            name: "tickhub",
            dependencies: [
                "TickhubApp", "TickhubProcess", "TickhubMetrics", "CRecvTap", "CPollRearm",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // lws is a shared library: its recv, SSL_read, close, bind and uv_poll_start calls reach ours only if the
            // executable exports them.
            linkerSettings: [.unsafeFlags([
                "-Xlinker", "--export-dynamic-symbol=recv", "-Xlinker", "--export-dynamic-symbol=SSL_read",
                "-Xlinker", "--export-dynamic-symbol=close", "-Xlinker", "--export-dynamic-symbol=bind",
                "-Xlinker", "--export-dynamic-symbol=uv_poll_start",
            ])]
        ),
        .executableTarget(
            name: "tickhub-sim",
            dependencies: [
                "TWSSimulator", "TickhubProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "tickhub-bench",
            dependencies: [
                "TWSProtocol", "TWSSimulator", "IBKR", "TickhubCore", "TickhubProcess", "Alerts", "Store",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),

        // libFuzzer targets over the hub's input parsers (scripts/fuzz.sh, `make fuzz`). Without `-DTICKHUB_FUZZING`
        // each is a replayer of saved inputs, so a plain `swift build` links them too. They reach only pure modules
        // (TickhubCore, TWSProtocol and NIO, ProviderParsing, HubProtocol) and Store, whose GRDB and SQLite are the
        // largest part of the sanitizer build: no HTTP client, no libwebsockets.
        .target(name: "FuzzSupport", path: "Sources/TickhubFuzz/Support"),
        .target(
            name: "FuzzTWSSupport",
            dependencies: [
                "FuzzSupport", "TWSProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Sources/TickhubFuzz/TWSSupport"
        ),
        .executableTarget(
            name: "fuzz-tws-frames",
            dependencies: ["FuzzSupport", "FuzzTWSSupport", "TWSProtocol", .product(name: "NIOCore", package: "swift-nio")],
            path: "Sources/TickhubFuzz/TWSFrames",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "fuzz-tws-requests",
            dependencies: ["FuzzSupport", "FuzzTWSSupport", "TWSProtocol", .product(name: "NIOCore", package: "swift-nio")],
            path: "Sources/TickhubFuzz/TWSRequests",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "fuzz-symbols",
            dependencies: ["FuzzSupport", "TickhubCore"],
            path: "Sources/TickhubFuzz/Symbols",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "fuzz-quote-patch",
            dependencies: ["FuzzSupport", "TickhubCore"],
            path: "Sources/TickhubFuzz/QuotePatch",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "fuzz-positions-csv",
            dependencies: ["FuzzSupport", "Store", "TickhubCore"],
            path: "Sources/TickhubFuzz/PositionsCSV",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "fuzz-yahoo",
            dependencies: ["FuzzSupport", "ProviderParsing", "TickhubCore"],
            path: "Sources/TickhubFuzz/Yahoo",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "fuzz-alphavantage",
            dependencies: ["FuzzSupport", "ProviderParsing", "TickhubCore"],
            path: "Sources/TickhubFuzz/AlphaVantage",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "fuzz-publish",
            dependencies: ["FuzzSupport", "HubProtocol", "TickhubCore"],
            path: "Sources/TickhubFuzz/Publish",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "fuzz-stream-request",
            dependencies: ["FuzzSupport", "HubProtocol"],
            path: "Sources/TickhubFuzz/StreamRequest",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "fuzz-http-path",
            dependencies: ["FuzzSupport", "Hub", "HubProtocol", "CReadWatch"],
            path: "Sources/TickhubFuzz/HTTPPath",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "fuzz-clientportal",
            dependencies: ["FuzzSupport", "ClientPortal", "TickhubCore"],
            path: "Sources/TickhubFuzz/ClientPortal",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "fuzz-tastytrade",
            dependencies: ["FuzzSupport", "TastyTrade", "TickhubCore"],
            path: "Sources/TickhubFuzz/TastyTrade",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),

        // What the simulator-backed test targets share (not a test target itself).
        .target(name: "SimulatorTestSupport", dependencies: ["TWSSimulator"], path: "Tests/SimulatorTestSupport"),
        .testTarget(name: "TickhubCoreTests", dependencies: ["TickhubCore"]),
        .testTarget(
            name: "MarketDataTests",
            dependencies: [
                "MarketData", "ProviderParsing", "TickhubCore",
                // A loopback server with Yahoo's recorded answers, for the provider's chart requests.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "IBKRTests",
            dependencies: [
                "IBKR", "TWSSimulator", "TWSProtocol", "TickhubCore", "SimulatorTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),
        .testTarget(
            name: "IBKRClientPortalTests",
            dependencies: ["IBKRClientPortal", "IBKR", "TickhubCore", "ClientPortal", "TWSSimulator", "SimulatorTestSupport"]),
        .testTarget(
            name: "TWSProtocolTests",
            dependencies: [
                "TWSProtocol", "TickhubCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TWSSimulatorTests",
            dependencies: [
                "TWSSimulator", "TWSProtocol", "TickhubCore", "SimulatorTestSupport", "ClientPortal", "TastyTrade",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // The Client Portal gateway's clients: REST over TLS, and a WebSocket over NIOSSL.
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The fan-out's fakes (a connection, a host, an upstream, a clock), for every test target that drives a hub.
        .target(name: "HubTestSupport", dependencies: ["Hub", "HubProtocol", "TickhubCore"], path: "Tests/HubTestSupport"),
        .testTarget(name: "HubTests", dependencies: ["Hub", "HubProtocol", "TickhubCore", "HubTestSupport", "TickhubMetrics"]),
        .testTarget(name: "LwsHostTests", dependencies: ["LwsHost", "CReadWatch", "CLwsShim", "Hub", "HubTestSupport", "TickhubCore"]),
        .testTarget(name: "HubProtocolTests", dependencies: ["HubProtocol", "TickhubCore"]),
        .testTarget(name: "ScaleOutTests", dependencies: ["ScaleOut", "HubProtocol", "TickhubCore"]),
        .testTarget(name: "ClientPortalTests", dependencies: ["ClientPortal", "TickhubCore"]),
        .testTarget(name: "TastyTradeTests", dependencies: ["TastyTrade", "TickhubCore"]),
        .testTarget(
            name: "TastyTradeBrokerTests",
            dependencies: ["TastyTradeBroker", "TastyTrade", "MarketData", "TickhubCore", "TWSSimulator", "SimulatorTestSupport", "WebSocketClient"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "TickhubCore"]),
        .testTarget(name: "PortfolioTests", dependencies: ["Portfolio", "Hub", "HubProtocol", "Store", "TickhubCore", "HubTestSupport"]),
        .testTarget(name: "ChartsTests", dependencies: ["Charts", "Hub", "HubProtocol", "Store", "TickhubCore", "HubTestSupport"]),
        .testTarget(
            name: "AlertsTests",
            dependencies: [
                "Alerts", "Hub", "HubProtocol", "Store", "TickhubCore", "HubTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TickhubAppTests",
            dependencies: ["TickhubApp", "Hub", "IBKR", "MarketData", .product(name: "Configuration", package: "swift-configuration")]
        ),
        .testTarget(name: "TickhubProcessTests", dependencies: ["TickhubProcess"]),
        // A real nats-server (JetStream, loopback, a store of its own) started by the test targets that need one.
        .target(name: "NATSTestSupport", dependencies: ["NATSLink"], path: "Tests/NATSTestSupport"),
        .testTarget(name: "NATSLinkTests", dependencies: ["NATSLink", "NATSTestSupport"]),
        .testTarget(name: "RelayTests", dependencies: ["Relay", "Hub", "HubProtocol", "LwsHost", "NATSLink", "ScaleOut", "TickhubCore", "HubTestSupport", "NATSTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
