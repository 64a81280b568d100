// TEMPORARY until the MySQL branch is merged: the agreed interface, no implementation.
public enum MySQLIdentifier { public static func quote(_ name: String) throws -> String { "`\(name)`" } }
public struct MySQLOptions: Sendable {
  public var host = "127.0.0.1", port = 3306, socket: String? = nil
  public var user: String, password: String, database: String?
  public var connectTimeoutSeconds = 10, readTimeoutSeconds = 60, writeTimeoutSeconds = 60
  public init(user: String, password: String, database: String?) { self.user = user; self.password = password; self.database = database }
}
public final class MySQLConnection {
  public init(_ options: MySQLOptions) throws { fatalError() }
  public func execute(_ sql: String) throws { fatalError() }
  public func query(_ sql: String) throws -> [[String?]] { fatalError() }
  public func prepare(_ sql: String) throws -> MySQLStatement { fatalError() }
  public func begin() throws { fatalError() }
  public func commit() throws { fatalError() }
  public func rollback() throws { fatalError() }
}
public final class MySQLStatement {
  @discardableResult public func execute(_ params: [MySQLValue]) throws -> UInt64 { fatalError() }
  public func query(_ params: [MySQLValue]) throws -> [[String?]] { fatalError() }
}
public enum MySQLValue: Sendable, Equatable {
  case null, int(Int64), text(String)
  case datetime(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int)
  case date(year: Int, month: Int, day: Int)
}
public struct MySQLError: Error, Sendable, CustomStringConvertible {
  public var code: UInt32; public var sqlState: String; public var message: String; public var context: String
  public var isConnectionLost: Bool { false }
  public var isRetryableTransaction: Bool { false }
  public var isAccessDenied: Bool { false }
  public var isDataError: Bool { false }
  public var isUnknownTable: Bool { false }
  public var description: String { message }
}
