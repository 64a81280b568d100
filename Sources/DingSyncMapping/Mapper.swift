import Foundation

/// Applies a job's mapping to instances. (Placeholder until the engine lands.)
public struct Mapper: Sendable {
    public let entries: [MappingEntry]
    public let timeZone: TimeZone
    public init(entries: [MappingEntry], timeZone: TimeZone) {
        self.entries = entries
        self.timeZone = timeZone
    }
    public func map(_ instance: InstanceDetail) -> Result<MappedRow, MappingReject> {
        fatalError("not implemented")
    }
}
