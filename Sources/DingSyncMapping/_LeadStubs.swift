// TEMPORARY: lets the lead's tree compile until the mapping engine branch is merged.
import Foundation
public struct Template { public init(parsing: String) throws {} }
public enum TimeParsing { public static func parseBoundary(_ s: String, timeZone: TimeZone) throws -> Int64 { 0 } }
public enum DingTalkTime { public static func parseBeijing(_ s: String) -> Int64? { nil } ; public static func formatBeijing(_ ms: Int64) -> String { "" } }
public extension LocalDateTime { init(epochMs: Int64, timeZone: TimeZone) { self.init(year: 1970, month: 1, day: 1) } }
