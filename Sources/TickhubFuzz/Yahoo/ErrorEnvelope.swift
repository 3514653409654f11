import FuzzSupport
import ProviderParsing

/// An error envelope as Yahoo writes them: [root][code][description bytes, to the end, as printable ASCII].
struct ErrorEnvelope {
    static let roots = ["chart", "quoteResponse", "finance", "quoteSummary"]
    static let codes = ["Not Found", "not found", "Unauthorized", "Forbidden", "Too Many Requests", "Bad Request",
                        "Internal Server Error", "Unprocessable Entity", ""]

    let root: String
    let code: String
    let description: String

    init(_ input: inout FuzzInput) {
        root = input.pick(Self.roots)
        code = input.pick(Self.codes)
        // Printable ASCII without quote or backslash, so the text needs no escaping and case-folds plainly.
        description = String(decoding: input.rest().map { 0x20 + $0 % 0x5F }.map { $0 == 0x22 || $0 == 0x5C ? 0x2E : $0 }, as: UTF8.self)
    }

    var json: String {
        #"{"\#(root)":{"result":null,"error":{"code":"\#(code)","description":"\#(description)"}}}"#
    }

    /// The chart outcome the parser documents for this envelope (docs/providers.md, YahooParsing.screen).
    func expected(status: Int, v7: Bool) -> YahooOutcome {
        // An envelope's `description` is what the outcome says; without one, the code.
        let message = description
        if status == 429 || (json.utf8.count < 512 && json.lowercased().contains("too many requests")) { return .rateLimited }
        let outcome: YahooOutcome
        switch status {
        case 200..<300:
            switch code.lowercased() {
            case "not found": outcome = .unknownSymbol(message)
            case "unauthorized", "forbidden": outcome = .unauthorized(message)
            // A long body escapes the short-text check above, not its code.
            case "too many requests": outcome = .rateLimited
            default: outcome = .unavailable("\(code): \(message)")
            }
        case 401, 403: outcome = .unauthorized(message)
        case 404: outcome = .unknownSymbol(message)
        case 300..<400: outcome = .unavailable("HTTP \(status) redirect (EU consent page?): \(code): \(message)")
        case 400..<500: outcome = .unavailable("HTTP \(status) \(code): \(message)")
        case 500..<600: outcome = .unavailable("Yahoo server error HTTP \(status): \(code): \(message)")
        default: outcome = .unavailable("unexpected HTTP status \(status): \(code): \(message)")
        }
        guard v7, case let .unknownSymbol(text) = outcome else { return outcome }
        return .unavailable("v7 quote: \(text)")
    }
}

extension YahooBatchOutcome {
    /// A v7 answer that is not quotes, from the chart outcome the same response gives.
    init(_ outcome: YahooOutcome) {
        switch outcome {
        case .rateLimited: self = .rateLimited
        case let .unauthorized(message): self = .unauthorized(message)
        case let .unavailable(message), let .unknownSymbol(message): self = .unavailable(message)
        case .quote: self = .unavailable("v7 quote: unexpected body")
        }
    }
}
