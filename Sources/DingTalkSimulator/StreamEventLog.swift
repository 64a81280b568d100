extension DingTalkSimulator {
    /// The events after the first `index` of the log: a benchmark on a simulated clock reads
    /// what the world's changes pushed since its last look, without copying the whole log.
    public func streamEvents(from index: Int) -> [StreamEvent] {
        state.withLock { s in index < s.stream.log.count ? Array(s.stream.log[index...]) : [] }
    }
}
