import Configuration

extension PushProvider {
    public struct Configuration: Sendable, Equatable {
        /// Publishing needs `TICKHUB_PUBLISH_TOKEN`; without it the provider reports itself disabled.
        public var enabled = false
        /// How long a quote posted over HTTP stays live without another.
        public var staleSeconds = 30.0
        /// Symbols kept; beyond it the ones nobody wants are forgotten.
        public var maximumSymbols = 100_000
        public init() {}

        /// Reads the `push` section over the defaults. Whether publishing is on is not a setting of its own: it
        /// follows from the publish token, which the app holds.
        public init(config: ConfigReader) {
            self.init()
            staleSeconds = config.double(forKey: "staleSeconds", default: staleSeconds)
        }
    }
}
