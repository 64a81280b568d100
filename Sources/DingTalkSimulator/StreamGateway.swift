import Foundation

/// `POST /v1.0/gateway/connections/open` and `GET /connect?ticket=…` (the WebSocket), on the
/// same port as the APIs, as dingtalk-stream.md describes them.
extension DingTalkSimulator {
    static let maxStreamMessage = 1 << 20

    func streamOpen(_ ctx: RequestContext) -> HTTPResponse {
        let body = (try? JSONSerialization.jsonObject(with: Data(ctx.request.body))) as? [String: Any]
        let acceptsJSON = ctx.request.headers["accept"]?.lowercased().contains("application/json") ?? false
        state.withLock { s in
            s.stream.stats.connectionsOpened += 1
            if !acceptsJSON { s.stream.stats.opensWithoutAccept += 1 }
        }
        guard body?["clientId"] as? String == options.appKey, body?["clientSecret"] as? String == options.appSecret else {
            return v1Error(401, "authFailed", "鉴权失败")
        }
        guard options.stream.enabled else {
            switch options.stream.disabledAnswer {
            case .systemError: return v1Error(400, "systemError", "系统错误: 应用未开启Stream模式")
            case .bare400: return HTTPResponse(status: 400, body: [])
            }
        }
        // Only an EVENT subscription on topic "*" gets events; a client that forgets it
        // connects fine and then hears nothing, as with DingTalk.
        let subscriptions = body?["subscriptions"] as? [[String: Any]] ?? []
        let wantsEvents = subscriptions.contains { $0["type"] as? String == "EVENT" && $0["topic"] as? String == "*" }
        let ticket = SimIDs.random(32, alphabet: "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_")
        state.withLock { s in
            s.stream.tickets[ticket] = (ctx.now + Int64(options.stream.ticketLifetimeSeconds) * 1000, wantsEvents)
            s.stream.stats.ticketsIssued += 1
        }
        return .json(.object([("endpoint", .string("ws://127.0.0.1:\(port)/connect")), ("ticket", .string(ticket))]))
    }

    func streamConnect(_ ctx: RequestContext) -> HTTPResponse {
        let h = ctx.request.headers
        guard h["upgrade"]?.lowercased() == "websocket",
              h["connection"]?.lowercased().split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == "upgrade" }) == true,
              let key = h["sec-websocket-key"], Data(base64Encoded: key)?.count == 16 else {
            return .text("websocket upgrade required", status: 400)
        }
        guard h["sec-websocket-version"] == "13" else {
            var r = HTTPResponse.text("unsupported websocket version", status: 426)
            r.headers.append(("Sec-WebSocket-Version", "13"))
            return r
        }
        let ticket = ctx.request.query["ticket"] ?? ""
        // One lock decides and consumes the ticket, so two sockets racing on it cannot both win.
        let verdict = state.withLock { s -> Result<Bool, HTTPStatusCode> in
            guard let t = s.stream.tickets[ticket] else {
                s.stream.stats.ticketsRejected += 1
                return .failure(HTTPStatusCode(s.stream.usedTickets.contains(ticket) ? 403 : 401))
            }
            s.stream.tickets[ticket] = nil
            s.stream.usedTickets.insert(ticket)
            guard ctx.now < t.expiresAtMs else { s.stream.stats.ticketsRejected += 1; return .failure(HTTPStatusCode(403)) }
            return .success(t.wantsEvents)
        }
        let wantsEvents: Bool
        switch verdict {
        case .failure(let code): return v1Error(code.value, code.value == 401 ? "invalidTicket" : "ticketExpiredOrUsed", "ticket无效")
        case .success(let w): wantsEvents = w
        }
        var response = HTTPResponse(status: 101, headers: [
            ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", WebSocket.accept(key: key)),
        ], body: [])
        response.upgrade = { [self] reader in serveStream(&reader, wantsEvents: wantsEvents) }
        return response
    }

    /// The connection's own thread: registers the link, then reads client frames until the
    /// socket ends. Pushes are written by other threads through the link's writer.
    func serveStream(_ reader: inout SocketReader, wantsEvents: Bool) {
        let writer = WebSocketWriter(fd: reader.fd)
        let now = options.now()
        let (id, quotaFrame) = state.withLock { s -> (Int, String?) in
            s.stream.nextLink += 1
            s.stream.links[s.stream.nextLink] = StreamLink(writer: writer, openedAtMs: now, lastPingAtMs: now, wantsEvents: wantsEvents)
            s.stream.stats.socketsAccepted += 1
            s.stream.stats.connected = s.stream.links.count
            // A client reconnecting while the quota is gone is told so again.
            return (s.stream.nextLink, s.stream.quotaStopped ? quotaFrameLocked(&s.stream, link: s.stream.nextLink, now: now) : nil)
        }
        signalStream()
        if let quotaFrame { writer.sendText(quotaFrame) }
        defer {
            writer.finish()
            state.withLock { s in
                s.stream.links[id] = nil
                s.stream.inflight = s.stream.inflight.filter { $0.value.link != id }
                s.stream.stats.connected = s.stream.links.count
            }
            signalStream()
        }
        var message: [UInt8] = []
        var messageIsText = false
        while true {
            let frame: WebSocket.Frame
            do {
                frame = try WebSocket.readFrame(&reader, maxPayload: Self.maxStreamMessage)
            } catch {
                switch error {
                case .protocolError: writer.send(.close, WebSocket.closePayload(1002))
                case .tooBig: writer.send(.close, WebSocket.closePayload(1009))
                case .closed: break
                }
                return
            }
            // A stale path loses everything in both directions.
            if state.withLock({ $0.stream.links[id]?.stale ?? true }) {
                if frame.opcode == .close { return }
                continue
            }
            switch frame.opcode {
            case .ping:
                state.withLock { $0.stream.stats.pongsSent += 1 }
                writer.send(.pong, frame.payload)
            case .pong:
                break
            case .close:
                writer.send(.close, Array(frame.payload.prefix(2)))
                return
            case .text, .binary, .continuation:
                if frame.opcode != .continuation {
                    message = []
                    messageIsText = frame.opcode == .text
                }
                message += frame.payload
                guard message.count <= Self.maxStreamMessage else { writer.send(.close, WebSocket.closePayload(1009)); return }
                if frame.fin, messageIsText { streamAnswer(String(decoding: message, as: UTF8.self)) }
            }
        }
    }

    /// A client's answer to a frame: `{"code":200,"headers":{"messageId":…},"data":"{\"status\":\"SUCCESS\"}"}`
    /// acknowledges an event; `LATER` or another code asks for it again; a ping's answer must
    /// carry the ping's `data` back unchanged.
    func streamAnswer(_ text: String) {
        let now = options.now()
        let obj = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        let code = (obj?["code"] as? NSNumber)?.intValue
        let messageId = (obj?["headers"] as? [String: Any])?["messageId"] as? String
        let data = obj?["data"] as? String
        let redeliverMs = Int64(options.stream.redeliverAfterSeconds) * 1000
        state.withLock { s in
            guard let code, let messageId, let sent = s.stream.inflight.removeValue(forKey: messageId) else {
                s.stream.stats.malformedAnswers += 1
                return
            }
            switch sent.kind {
            case .event(let eventId):
                let status = data.flatMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }?["status"] as? String
                guard var p = s.stream.pending[eventId] else { return }  // settled by an earlier answer
                if code == 200 && status == "SUCCESS" {
                    s.stream.stats.acks += 1
                    p.acked = true
                    // Older sends of the same event will never be answered usefully now.
                    s.stream.inflight = s.stream.inflight.filter {
                        if case .event(let e) = $0.value.kind { return e != eventId }
                        return true
                    }
                } else {
                    if data == nil || (code == 200 && status != "LATER") { s.stream.stats.malformedAnswers += 1 }
                    s.stream.stats.laters += 1
                    p.dueAtMs = now + redeliverMs
                }
                s.stream.pending[eventId] = p.nextDueMs == nil ? nil : p
            case .ping(let opaque):
                // Compared as JSON, not bytes: a client may re-serialise the document it echoes.
                let echoed = data.flatMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }?["opaque"] as? String
                if code == 200 && echoed == opaque { s.stream.stats.pingEchoesOK += 1 } else { s.stream.stats.pingEchoesBad += 1 }
            case .system:
                break
            }
        }
        signalStream()
    }
}

/// An HTTP status as a failure value.
struct HTTPStatusCode: Error {
    let value: Int
    init(_ value: Int) { self.value = value }
}
