import Configuration
import TickhubCore

extension DataProviderManager {
    public struct Configuration: Sendable {
        public var policy = SourceSelector.Policy()
        /// How often silence and failback are re-evaluated.
        public var evaluationInterval: Duration = .milliseconds(250)
        public init() {}

        /// Reads the `providers` section over the defaults: the order of preference, failback and silence.
        /// Empty names in the order are skipped, so a trailing comma in `TICKHUB_PROVIDERS` is no error.
        public init(config: ConfigReader) throws(InvalidSetting) {
            self.init()
            if let names = config.stringArray(forKey: "order") {
                policy.order = try names.filter { !$0.isEmpty }.map { name throws(InvalidSetting) in
                    guard let provider = QuoteSource(rawValue: name) else {
                        let known = QuoteSource.allCases.map(\.rawValue).joined(separator: ", ")
                        throw InvalidSetting(key: "order") { "\($0): unknown provider \"\(name)\" (\(known))" }
                    }
                    return provider
                }
            }
            policy.failbackSeconds = config.double(forKey: "failbackSeconds", default: policy.failbackSeconds)
            policy.silenceSeconds = config.double(forKey: "silenceSeconds", default: policy.silenceSeconds)
        }
    }
}
