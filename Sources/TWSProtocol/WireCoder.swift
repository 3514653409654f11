/// One description of a message's fields, in wire order, that both writes and reads it.
///
/// A message's `layout` calls `field(&x)` for each field; `FieldWriter` writes the value, `FieldReader`
/// overwrites it with what it reads. So the client's encoder and the simulator's decoder (and the other way round)
/// can never disagree about a field order: there is only one.
public protocol WireCoder {
    /// The negotiated server version; layouts branch on it for fields that come and go.
    var serverVersion: Int { get }
    /// True when fields are read into the message, false when they are written from it.
    var isDecoding: Bool { get }

    /// The per-message "version" field most messages below id 75 carry. Written as given; read and ignored.
    mutating func version(_ value: Int) throws
    mutating func field(_ value: inout Int) throws
    /// Empty and the server's max-int and max-long sentinels read as nil; nil is written empty.
    mutating func field(_ value: inout Int?) throws
    mutating func field(_ value: inout Double) throws
    /// Empty and the max-double sentinel read as nil; nil is written as `unset` says.
    mutating func field(_ value: inout Double?, unset: UnsetDouble) throws
    mutating func field(_ value: inout String) throws
    /// `0`/`1` on the wire; `true`/`false` are accepted when reading.
    mutating func field(_ value: inout Bool) throws
    /// The count before a repeated group. Reading refuses counts the rest of the frame cannot hold.
    mutating func count(_ value: inout Int) throws
}

/// How a missing double goes out: the client leaves it empty, the server writes max-double (as TWS does in PnL).
public enum UnsetDouble: Sendable {
    case empty
    case sentinel
}

extension WireCoder {

    public mutating func field(_ value: inout Double?) throws {
        try field(&value, unset: .empty)
    }

    /// A count followed by that many entries, each laid out by `entry`.
    public mutating func repeated<Element>(
        _ elements: inout [Element], blank: Element, _ entry: (inout Self, inout Element) throws -> Void
    ) throws {
        var n = elements.count
        try count(&n)
        if isDecoding { elements = Array(repeating: blank, count: n) }
        for i in 0..<n { try entry(&self, &elements[i]) }
    }
}

/// The server's "no value" sentinels.
public enum Sentinel {
    public static let int = Int(Int32.max)
    public static let long = Int.max
    public static let double = Double.greatestFiniteMagnitude
}
