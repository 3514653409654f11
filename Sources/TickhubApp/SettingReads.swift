import Configuration
import Synchronization

/// What a reader was asked and what answered, kept per key: the read that learns the hub's keys (`ConfigurationKeys`)
/// and the one that says where a refused value came from (`ConfigurationSources`) both look here.
final class SettingReads: AccessReporter, Sendable {
    struct Read: Sendable {
        /// What the key was read as.
        var type: ConfigType
        var isSecret: Bool
        /// The provider that held the value; nil when the default was used.
        var provider: String?
    }

    /// A value a provider held that could not be read as its key's type: `IBKR_PORT=abc` read as a whole number.
    struct Unreadable: Sendable {
        var key: String
        var type: ConfigType
        var provider: String
    }

    private struct State {
        var reads: [String: Read] = [:]
        var unreadable: [Unreadable] = []
    }

    private let state = Mutex(State())

    func report(_ event: AccessEvent) {
        let key = event.metadata.key.components.joined(separator: ".")
        // Secret if the reader asked for it as one or the provider marked it; even a default is marked when the
        // read was of a secret, which is why secrets are read with an empty default.
        let isSecret = (try? event.result.get())?.isSecret ?? false
        // The providers asked, in order, up to the first that held the value or failed.
        var provider: String?
        var unreadable: Unreadable?
        for answer in event.providerResults {
            switch answer.result {
            case let .success(lookup):
                if lookup.value != nil { provider = answer.providerName }
            case .failure:
                unreadable = Unreadable(key: key, type: event.metadata.valueType, provider: answer.providerName)
            }
        }
        state.withLock {
            $0.reads[key] = Read(type: event.metadata.valueType, isSecret: isSecret, provider: provider)
            if let unreadable { $0.unreadable.append(unreadable) }
        }
    }

    var reads: [String: Read] { state.withLock { $0.reads } }

    /// The provider whose value was used for `key`, if one was.
    func provider(of key: String) -> String? { state.withLock { $0.reads[key]?.provider } }

    /// The first value that could not be read, in the order of reading.
    var firstUnreadable: Unreadable? { state.withLock { $0.unreadable.first } }
}
