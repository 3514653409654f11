/// A run that cannot start or go on, with the reason as the report's `error`.
struct FanoutError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
