/// A configuration value a component cannot use, such as a listen address without a port.
///
/// The component knows the key it read and what is wrong; only the app knows whether the value came from a flag, a
/// variable or the file, so the message is written for whatever name the user gave the value (`--listen`,
/// `server.listen`, `TICKHUB_PROVIDERS`).
public struct InvalidSetting: Error, Sendable, CustomStringConvertible {
    /// Dotted, relative to the reader the component was given: `listen`, `tls`, `order`.
    public let key: String
    private let message: @Sendable (String) -> String

    public init(key: String, message: @escaping @Sendable (_ name: String) -> String) {
        self.key = key
        self.message = message
    }

    /// What is wrong, with the value called `name`.
    public func message(naming name: String) -> String { message(name) }

    /// The same problem as seen from the reader `section` was scoped from: `listen` becomes `server.listen`.
    public func within(_ section: String) -> InvalidSetting {
        InvalidSetting(key: section + "." + key, message: message)
    }

    public var description: String { message(naming: key) }
}
