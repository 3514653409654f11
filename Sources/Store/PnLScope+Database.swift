import GRDB
import TickhubCore

/// Stored as its text form.
extension PnLScope: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { text.databaseValue }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> PnLScope? {
        String.fromDatabaseValue(dbValue).flatMap(PnLScope.init(text:))
    }
}
