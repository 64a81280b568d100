/// What the planner knows of a job: read from the state tables at the start of a run, and
/// nothing else. Plain values, so the planner is a pure function of it.
public struct JobSnapshot: Sendable, Equatable {
    public var watermarkMs: Int64?
    /// When the last complete listing of new ids ended (tool clock).
    public var lastListedMs: Int64?
    /// Stored instances whose status is not final, within `resync_open_days`.
    public var open: [OpenInstance] = []
    /// Ids owed a `get`: listed but not fetched yet, originals of modifications, rejects, gone.
    public var pending: [PendingInstance] = []
    /// Instances created in the last 30 days (stored or pending): the job's observed volume.
    public var arrivalsLast30Days = 0
    /// When Stream pushes would have told this job of a change (`watch`); empty without events.
    public var coverage = EventCoverage()
    /// Arrivals of the last 30 days per hour of day in the job's time zone (empty: not read;
    /// only jobs that follow closes by push list by the hour, see `QuietHours`).
    public var arrivalsByHour: [Int] = []

    public init(watermarkMs: Int64? = nil, lastListedMs: Int64? = nil, open: [OpenInstance] = [],
                pending: [PendingInstance] = [], arrivalsLast30Days: Int = 0) {
        self.watermarkMs = watermarkMs
        self.lastListedMs = lastListedMs
        self.open = open
        self.pending = pending
        self.arrivalsLast30Days = arrivalsLast30Days
    }
}

public struct OpenInstance: Sendable, Equatable {
    public var id: String
    public var createdMs: Int64
    /// The last `get` of it (tool clock).
    public var checkedMs: Int64
    /// v1: the last RUNNING listing that returned it (tool clock), nil if none has.
    public var confirmedMs: Int64?
    /// v1: when DingTalk last said it is open, by a get or a RUNNING listing.
    public var lastSeenOpenMs: Int64 { max(checkedMs, confirmedMs ?? 0) }
    public init(id: String, createdMs: Int64, checkedMs: Int64, confirmedMs: Int64? = nil) {
        self.id = id
        self.createdMs = createdMs
        self.checkedMs = checkedMs
        self.confirmedMs = confirmedMs
    }
}

public struct PendingInstance: Sendable, Equatable {
    public enum Reason: String, Sendable, CaseIterable {
        /// Listed, never fetched.
        case new
        /// The original of a MODIFY/REVOKE: its stored copy is stale even if final.
        case followUp = "followup"
        /// Fetched but not written (mapping or MySQL refused it).
        case reject
        /// Its `get` answered that the instance is gone (deleted?).
        case gone
        /// Gone for good: never fetched again, shown by `status`.
        case abandoned
        /// v1: an open row a RUNNING listing no longer returned: closed (or deleted) since.
        case closed
        /// A Stream push said it started, finished or was revoked (kept in `dingsync_events`).
        case event
    }
    public var id: String
    public var reason: Reason
    /// When it was first recorded (tool clock).
    public var seenMs: Int64
    /// `gone` answers so far, and when the first came.
    public var tries: Int
    public var lastTryMs: Int64?
    public var firstFailMs: Int64?

    public init(id: String, reason: Reason, seenMs: Int64, tries: Int = 0, lastTryMs: Int64? = nil, firstFailMs: Int64? = nil) {
        self.id = id
        self.reason = reason
        self.seenMs = seenMs
        self.tries = tries
        self.lastTryMs = lastTryMs
        self.firstFailMs = firstFailMs
    }
}
