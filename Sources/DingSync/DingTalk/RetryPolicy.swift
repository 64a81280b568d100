/// Exponential backoff with full jitter (delay = random(0, min(max, base·2^attempt))), the
/// scheme that spreads retries of many clients best. Throttling waits at least a second, as
/// DingTalk asks.
public struct RetryPolicy: Sendable {
    public var settings: RetrySettings
    public init(_ settings: RetrySettings) { self.settings = settings }

    /// Delay before retry number `retry` (1 = the first retry), or nil when the budget is spent.
    public func delayMs<G: RandomNumberGenerator>(afterAttempt attempt: Int, errorClass: DingTalkError.Class,
                                                 using rng: inout G) -> Int? {
        guard attempt < settings.maxAttempts else { return nil }
        switch errorClass {
        case .throttled, .transient, .token: break
        default: return nil
        }
        if errorClass == .token { return 0 }  // a fresh token needs no waiting
        let exp = min(30, attempt - 1)
        let ceiling = min(settings.maxDelayMs, settings.baseDelayMs.multipliedReportingOverflow(by: 1 << exp).overflow
                          ? settings.maxDelayMs : settings.baseDelayMs * (1 << exp))
        var delay = ceiling > 0 ? Int.random(in: 0...ceiling, using: &rng) : 0
        if errorClass == .throttled { delay = max(delay, min(1_000, settings.maxDelayMs)) }
        return delay
    }
}
