/// The Prometheus text format (version 0.0.4) for the figures the fan-out keeps as plain integers: each family its
/// `# HELP` and `# TYPE` lines, then its samples. swift-prometheus renders the process's registry (`ProcessMetrics`);
/// these counts live on the service threads and are only read at scrape time, so they are written out here.
struct PrometheusExposition {
    enum Kind: String {
        case counter, gauge, histogram
    }

    private(set) var text = ""

    /// One family: its samples as label sets and values (one sample without labels for a plain metric).
    mutating func family(_ name: String, _ kind: Kind, _ help: String, _ samples: [(labels: [(String, String)], value: Double)]) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
        for sample in samples { self.sample(name, sample.labels, sample.value) }
    }

    mutating func family(_ name: String, _ kind: Kind, _ help: String, _ value: Double) {
        family(name, kind, help, [([], value)])
    }

    mutating func family(_ name: String, _ kind: Kind, _ help: String, _ value: Int) {
        family(name, kind, help, [([], Double(value))])
    }

    /// A histogram from cumulative-able bucket counts: one count per upper bound and one above the last.
    mutating func histogram(_ name: String, _ help: String, bounds: [Double], counts: [Int], sum: Double) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) histogram\n"
        var cumulative = 0
        for (index, bound) in bounds.enumerated() {
            cumulative += counts[index]
            sample(name + "_bucket", [("le", Self.number(bound))], Double(cumulative))
        }
        cumulative += counts[bounds.count]
        sample(name + "_bucket", [("le", "+Inf")], Double(cumulative))
        sample(name + "_sum", [], sum)
        sample(name + "_count", [], Double(cumulative))
    }

    /// Text rendered elsewhere (swift-prometheus), appended whole.
    mutating func append(_ rendered: [UInt8]) {
        text += String(decoding: rendered, as: UTF8.self)
    }

    private mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " " + Self.number(value) + "\n"
    }

    /// Whole numbers without a fraction (counts read as counts), others as Swift prints a Double.
    static func number(_ value: Double) -> String {
        if value == .infinity { return "+Inf" }
        if value.isNaN { return "NaN" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// A label value as the format quotes it: backslash, double quote and line feed escaped.
    static func escapeLabel(_ value: String) -> String { escape(value, quote: true) }

    /// HELP text escapes backslash and line feed only.
    static func escapeHelp(_ value: String) -> String { escape(value, quote: false) }

    private static func escape(_ value: String, quote: Bool) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quote: out += "\\\""
            default: out.append(character)
            }
        }
        return out
    }
}
