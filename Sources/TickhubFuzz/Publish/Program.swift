import FuzzSupport
import HubProtocol

/// A program: [items: 1 + n % 4, and bit 7 for an array even of one][spacing], then the items (QuoteItem.swift).
/// The message must decode, and each item to what it was written from.
func checkProgram(_ input: inout FuzzInput) {
    let header = input.byte()
    let count = 1 + Int(header & 0x7F) % 4
    let space = input.pick(spaces)
    let items = (0..<count).map { _ in readItem(&input, space: space) }
    let asArray = count > 1 || header & 0x80 != 0
    let message = asArray ? "[" + space + items.map(\.json).joined(separator: "," + space) + space + "]" : items[0].json

    guard let decoded = checkBody(Array(message.utf8)) else {
        violated("the program's message was refused: \(message)")
    }
    var patches = decoded.patches.makeIterator()
    var rejected = Set(decoded.rejections.map(\.index))
    for (index, item) in items.enumerated() {
        if let expected = item.expected {
            invariant(!rejected.contains(index), "item \(index) was rejected: \(item.json)")
            guard let patch = patches.next() else { violated("item \(index) has no patch: \(item.json)") }
            invariant(samePatch(patch, expected), "item \(index) \(item.json) decoded to \(patch), not \(expected)")
        } else {
            invariant(rejected.remove(index) != nil, "item \(index) was accepted: \(item.json)")
        }
    }
}
