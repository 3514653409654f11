/// The kinds of writes the hub's health follows. A failure of one kind is cleared only by a later success of the
/// same kind: the last quotes saved on time say nothing of whether positions can be written.
package enum DatabaseWrite: String, Sendable, CaseIterable {
    case positions
    case pnlSnapshots
    case lastQuotes
}
