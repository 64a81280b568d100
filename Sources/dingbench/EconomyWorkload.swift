import DingTalkSimulator
import Foundation

/// The economy benchmark's world: approvals arriving with an office-hours peak and living as
/// long as real ones do — about half close within 20 min–8 h, a quarter within 8 h–3 days,
/// 12 % within 3–14 days, 8 % stay open 30–120 days; some are revoked after approval or
/// deleted while open. Every event has its instant, so the world can be replayed against any
/// clock.
struct EconomyWorkload {
    enum Event {
        case arrive(SimInstance)
        case close(id: String, status: String, result: String)
        case delete(id: String)
        /// An approved instance is revoked: DingTalk creates a REVOKE instance pointing at it.
        case revoke(originalId: String, closesAfterMs: Int64)
    }

    static let minute: Int64 = 60_000
    static let hour = 60 * minute
    static let day = 24 * hour

    let perDay: Int
    private(set) var events: [(at: Int64, event: Event)] = []
    /// Creation and close instants of every instance (nil: deleted or still open at the end).
    private(set) var lifetimes: [String: (created: Int64, closed: Int64?)] = [:]

    init(perDay: Int, fromMs: Int64, toMs: Int64, seed: UInt64) {
        self.perDay = perDay
        var rng = SplitMix64(seed: seed)
        var forms = ReferenceFormGenerator(seed: seed &+ 1)
        func unit() -> Double { SplitMix64.unit(rng.next()) }
        func logUniform(_ a: Int64, _ b: Int64) -> Int64 { Int64(exp(log(Double(a)) + unit() * (log(Double(b)) - log(Double(a))))) }
        var dayStart = fromMs - ((fromMs + 8 * Self.hour) % Self.day)  // midnight, Beijing
        while dayStart < toMs {
            for _ in 0..<perDay {
                // 80 % between 09:00 and 18:00 Beijing, the rest at any hour.
                let offset = unit() < 0.8 ? 9 * Self.hour + Int64(unit() * Double(9 * Self.hour)) : Int64(unit() * Double(Self.day))
                let created = dayStart + offset
                guard created >= fromMs, created < toMs else { continue }
                var inst = forms.make(count: 1, fromMs: created, toMs: created)[0]
                inst.status = "RUNNING"
                inst.result = ""
                inst.finishTimeMs = nil
                events.append((created, .arrive(inst)))
                let u = unit()
                let life: Int64
                switch u {
                case ..<0.50: life = logUniform(20 * Self.minute, 8 * Self.hour)
                case ..<0.75: life = logUniform(8 * Self.hour, 3 * Self.day)
                case ..<0.87: life = logUniform(3 * Self.day, 14 * Self.day)
                case ..<0.95: life = logUniform(30 * Self.day, 120 * Self.day)
                case ..<0.98:
                    events.append((created + logUniform(Self.hour, 3 * Self.day), .delete(id: inst.id)))
                    lifetimes[inst.id] = (created, nil)
                    continue
                default: life = logUniform(20 * Self.minute, 3 * Self.day)
                }
                let outcome = [("COMPLETED", "agree"), ("COMPLETED", "agree"), ("COMPLETED", "refuse"), ("TERMINATED", "")][Int(unit() * 4) % 4]
                events.append((created + life, .close(id: inst.id, status: outcome.0, result: outcome.1)))
                lifetimes[inst.id] = (created, created + life)
                // The last 2 % are approved and revoked a few days later.
                if u >= 0.98, outcome.1 == "agree" {
                    events.append((created + life + logUniform(Self.hour, 5 * Self.day), .revoke(originalId: inst.id, closesAfterMs: logUniform(20 * Self.minute, Self.day))))
                }
            }
            dayStart += Self.day
        }
        events.sort { $0.at < $1.at }
    }

    /// Applies every event due by `nowMs` to the simulator; returns the index to go on from.
    /// Revocations create instances of their own, whose lives are recorded as they happen.
    mutating func apply(to sim: DingTalkSimulator, from index: Int, until nowMs: Int64) -> Int {
        var i = index
        while i < events.count, events[i].at <= nowMs {
            let (at, event) = events[i]
            switch event {
            case .arrive(let inst): sim.add([inst])
            case .close(let id, let status, let result):
                sim.update(id) { s in
                    s.status = status
                    s.result = result
                    s.finishTimeMs = at
                }
            case .delete(let id): sim.remove(id)
            case .revoke(let originalId, let after):
                guard sim.instance(originalId) != nil else { break }
                let fresh = sim.modify(originalId: originalId, at: at, biz: "REVOKE")
                lifetimes[fresh.id] = (at, at + after)
                insert((at + after, .close(id: fresh.id, status: "COMPLETED", result: "agree")), after: i)
            }
            i += 1
        }
        return i
    }

    private mutating func insert(_ e: (at: Int64, event: Event), after index: Int) {
        var j = index + 1
        while j < events.count, events[j].at <= e.at { j += 1 }
        events.insert(e, at: j)
    }
}

