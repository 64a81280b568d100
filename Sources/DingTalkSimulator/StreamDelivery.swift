import Foundation

/// Frames decided under the state lock and written after it is released.
struct StreamPlan {
    var sends: [(WebSocketWriter, String)] = []
    var closes: [WebSocketWriter] = []
}

/// When and where events go: first pushes, redeliveries, faults, SYSTEM frames.
extension DingTalkSimulator {
    /// Writes every frame due at `options.now()`: new events, redeliveries of unacknowledged
    /// ones, held and duplicated ones, SYSTEM pings and disconnects, and closes after a
    /// disconnect. The background ticker calls it; a benchmark driving a sim clock calls it
    /// after moving the clock. Returns the frames written.
    @discardableResult
    public func deliverDue() -> Int {
        // One planner-and-writer at a time, so frames leave in the order they were planned
        // (a held event really arrives after the one that overtook it).
        deliveryLock.lock()
        defer { deliveryLock.unlock() }
        let now = options.now()
        let plan = state.withLock { s in planDeliveries(&s.stream, now: now) }
        var written = 0
        for (writer, text) in plan.sends where writer.sendText(text) { written += 1 }
        for writer in plan.closes {
            writer.send(.close, WebSocket.closePayload(1000))
            writer.abort()
        }
        return written
    }

    func planDeliveries(_ st: inout StreamState, now: Int64) -> StreamPlan {
        var plan = StreamPlan()
        let f = st.faults
        for id in st.links.keys.sorted() {
            guard var link = st.links[id] else { continue }
            if let sentAt = link.disconnectSentAtMs {
                if now >= sentAt + Int64(f.closeAfterDisconnectSeconds) * 1000 { plan.closes.append(link.writer) }
                continue
            }
            if let after = f.disconnectAfterSeconds, now >= link.openedAtMs + Int64(after) * 1000 {
                link.disconnectSentAtMs = now
                st.links[id] = link
                st.stats.disconnectsSent += 1
                systemFrame(&st, &plan, link: id, topic: "disconnect",
                            data: #"{"reason":"persistent connection is timeout"}"#, kind: .system, now: now)
            } else if let every = f.pingIntervalSeconds, now >= link.lastPingAtMs + Int64(every) * 1000 {
                link.lastPingAtMs = now
                st.links[id] = link
                st.stats.pingsSent += 1
                let opaque = SimIDs.uuid(seed: SplitMix64.mix(f.seed ^ 0x0914, UInt64(st.stats.pingsSent)))
                systemFrame(&st, &plan, link: id, topic: "ping", data: JSON.object([("opaque", .string(opaque))]).text,
                            kind: .ping(opaque: opaque), now: now)
            }
        }

        let redeliverMs = Int64(options.stream.redeliverAfterSeconds) * 1000
        var work = st.pending.values.filter { ($0.nextDueMs ?? .max) <= now }
            .sorted { ($0.nextDueMs!, $0.sequence) < ($1.nextDueMs!, $1.sequence) }.map(\.event.eventId)
        var next = 0
        while next < work.count {
            let id = work[next]
            next += 1
            guard var p = st.pending[id] else { continue }
            if let dup = p.duplicateAtMs, dup <= now {
                p.duplicateAtMs = nil
                if let link = pickLink(&st) {
                    st.stats.duplicatesSent += 1
                    eventFrame(&st, &plan, &p, link: link, now: now, redeliverMs: redeliverMs)
                }
                if p.acked || p.dueAtMs > now {
                    st.pending[id] = p.nextDueMs == nil ? nil : p
                    continue
                }
            }
            let first = p.sends == 0
            if first {
                if st.pushQuotaLeft <= 0 {
                    if !st.quotaStopped {
                        st.quotaStopped = true
                        for link in st.links.keys.sorted() {
                            if let text = quotaFrameLocked(&st, link: link, now: now) { plan.sends.append((st.links[link]!.writer, text)) }
                        }
                    }
                    st.stats.quotaSuppressed += 1
                    st.pending[id] = nil
                    continue
                }
                if !p.wasHeld, st.roll(f.outOfOrderRate, p.sequence, 1) {
                    p.wasHeld = true
                    p.held = true
                    p.dueAtMs = now + redeliverMs  // released early by the next push, or then
                    st.stats.held += 1
                    st.pending[id] = p
                    continue
                }
            }
            guard let link = pickLink(&st) else {
                st.stats.lost += 1
                st.pending[id] = nil
                continue
            }
            if first {
                st.pushQuotaLeft -= 1
                st.stats.pushes += 1
                if st.roll(f.lossRate, p.sequence, 2) {
                    st.stats.dropped += 1
                    st.pending[id] = nil
                    continue
                }
                if st.roll(f.duplicateRate, p.sequence, 3) { p.duplicateAtMs = now + Int64(f.duplicateDelaySeconds) * 1000 }
            } else {
                st.stats.redeliveries += 1
            }
            p.held = false
            eventFrame(&st, &plan, &p, link: link, now: now, redeliverMs: redeliverMs)
            st.pending[id] = p
            if first {
                let released = st.pending.values.filter(\.held).sorted { $0.sequence < $1.sequence }
                for var h in released {
                    h.held = false
                    h.dueAtMs = now
                    st.pending[h.event.eventId] = h
                    work.append(h.event.eventId)
                }
            }
        }
        return plan
    }

    /// One connection that takes events, at random (DingTalk's rule for several connections of
    /// one app); a stale one is still a candidate, since DingTalk cannot tell it is dead.
    func pickLink(_ st: inout StreamState) -> Int? {
        let candidates = st.links.filter { $0.value.wantsEvents && $0.value.disconnectSentAtMs == nil }.keys.sorted()
        guard !candidates.isEmpty else { return nil }
        st.draws += 1
        return candidates[Int(SplitMix64.mix(st.faults.seed ^ 0x11CC, st.draws) % UInt64(candidates.count))]
    }

    func eventFrame(_ st: inout StreamState, _ plan: inout StreamPlan, _ p: inout PendingEvent,
                    link: Int, now: Int64, redeliverMs: Int64) {
        let messageId = st.nextMessageId()
        let e = p.event
        let text = Self.frame(type: "EVENT", headers: [
            ("topic", "*"), ("messageId", messageId), ("contentType", "application/json"), ("time", String(now)),
            ("eventType", "bpms_instance_change"), ("eventId", e.eventId), ("eventCorpId", options.stream.corpId),
            ("eventBornTime", String(e.bornTimeMs)), ("eventUnifiedAppId", options.stream.unifiedAppId),
        ], data: e.dataJSON)
        p.sends += 1
        p.dueAtMs = now + redeliverMs
        st.stats.delivered += 1
        st.inflight[messageId] = Inflight(link: link, kind: .event(e.eventId))
        if let l = st.links[link], !l.stale { plan.sends.append((l.writer, text)) }
    }

    func systemFrame(_ st: inout StreamState, _ plan: inout StreamPlan, link: Int, topic: String, data: String,
                     kind: Inflight.Kind, now: Int64) {
        let messageId = st.nextMessageId()
        st.inflight[messageId] = Inflight(link: link, kind: kind)
        guard let l = st.links[link], !l.stale else { return }
        plan.sends.append((l.writer, Self.frame(type: "SYSTEM", headers: [
            ("contentType", "application/json"), ("messageId", messageId), ("time", String(now)), ("topic", topic),
        ], data: data)))
    }

    /// The frame that says the push quota is gone. DingTalk documents only the code and text;
    /// the shape is ours: a SYSTEM frame, topic `error`, `data`
    /// `{"errCode":20001,"errMsg":"消息服务已经暂停"}`. Nil for a stale link.
    func quotaFrameLocked(_ st: inout StreamState, link: Int, now: Int64) -> String? {
        var plan = StreamPlan()
        st.stats.quotaFramesSent += 1
        systemFrame(&st, &plan, link: link, topic: "error", data: #"{"errCode":20001,"errMsg":"消息服务已经暂停"}"#,
                    kind: .system, now: now)
        return plan.sends.first?.1
    }

    /// The Stream envelope: every header value a string, `data` a JSON document as a string.
    static func frame(type: String, headers: [(String, String)], data: String) -> String {
        JSON.object([
            ("specVersion", .string("1.0")), ("type", .string(type)),
            ("headers", .object(headers.map { ($0.0, .string($0.1)) })), ("data", .string(data)),
        ]).text
    }

    func signalStream() {
        streamSignal.lock()
        streamSignal.broadcast()
        streamSignal.unlock()
    }
}
