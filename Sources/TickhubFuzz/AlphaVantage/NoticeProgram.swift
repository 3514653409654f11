import FuzzSupport
import ProviderParsing

/// A notice as Alpha Vantage sends them: [member][text][key echo][tail bytes as printable ASCII, to the end].
///
/// The texts are the recorded ones (Tests/Fixtures/alphavantage), each with the kind it must be read as. The key
/// echo puts the request's key into the text as Alpha Vantage does ("detected your API key as …", `apikey=…`). A
/// tail may change the kind (it may say "demo"), so only the recorded texts without one are held to their kind.
struct NoticeProgram {
    static let members = ["Error Message", "Information", "Note"]
    static let texts: [(String, AlphaVantageLimit?, invalidKey: Bool)] = [
        ("The **demo** API key is for demo purposes only. Please claim your free API key at (https://www.alphavantage.co/support/#api-key) to explore our full API offerings.", .demo, false),
        ("Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day. Please visit https://www.alphavantage.co/premium/ if you would like to target a higher API call frequency.", .burst, false),
        ("Thank you for using Alpha Vantage! This is a premium endpoint. You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly unlock all premium endpoints", .premium, false),
        ("Thank you for using Alpha Vantage! Please consider spreading out your free API requests more sparingly (1 request per second). You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to lift the free key rate limit (25 requests per day), raise the per-second burst limit, and instantly unlock all premium endpoints", .burst, false),
        ("Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per day. Please subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly remove all daily rate limits.", .daily, false),
        ("Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for GLOBAL_QUOTE.", nil, false),
        ("the parameter apikey is invalid or missing. Please claim your free API key on (https://www.alphavantage.co/support/#api-key).", nil, true),
        ("", .other, false),
    ]

    let member: String
    let text: String
    let recorded: (AlphaVantageLimit?, invalidKey: Bool)?
    let key: String?

    init(_ input: inout FuzzInput, key: String?) {
        self.key = key
        member = input.pick(Self.members)
        let (base, kind, invalid) = input.pick(Self.texts)
        var text = base
        let echo = input.byte() % 4
        switch echo {
        case 1: text = "We have detected your API key as \(key ?? "") and " + text
        case 2: text += " https://www.alphavantage.co/query?function=GLOBAL_QUOTE&apikey=\(key ?? "")&symbol=IBM"
        case 3: text += " key \(key ?? "")"
        default: break
        }
        let tail = input.rest().map { 0x20 + $0 % 0x5F }.map { $0 == 0x22 || $0 == 0x5C ? 0x2E : $0 }
        text += String(decoding: tail, as: UTF8.self)
        self.text = text
        // The `demo` key echoed says "demo" too.
        recorded = tail.isEmpty && (echo == 0 || key != "demo") ? (kind, invalid) : nil
    }

    var json: String { #"{"\#(member)": "\#(text)"}"# }

    func check(_ outcome: AlphaVantageOutcome) {
        switch outcome {
        case .invalidKey:
            invariant(member == "Error Message", "\(json) read as an invalid key")
            if let recorded { invariant(recorded.invalidKey, "\(json) read as an invalid key") }
        case .error:
            invariant(member == "Error Message", "\(json) read as an error")
            if let recorded { invariant(!recorded.invalidKey, "\(json) read as an error, not an invalid key") }
        case let .rateLimited(kind, _):
            invariant(member != "Error Message", "\(json) read as a rate limit")
            invariant(kind == AlphaVantageParsing.limitKind(of: text), "\(json) read as \(kind)")
            if let recorded, let expected = recorded.0 { invariant(kind == expected, "\(json) read as \(kind), not \(expected)") }
        default:
            violated("the notice \(json) gave \(outcome)")
        }
    }
}
