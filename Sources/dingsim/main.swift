import DingTalkSimulator
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// dingsim: a seeded fake DingTalk for the demo and benchmarks. Runs until SIGTERM/SIGINT.

// Block SIGTERM/SIGINT before any thread exists, so every thread inherits the mask and the
// signals can only be taken by the sigwait at the end. (A dispatch signal source registers
// asynchronously after resume(): a SIGTERM right after start-up could be ignored and lost.)
var stopSignals = sigset_t()
sigemptyset(&stopSignals)
sigaddset(&stopSignals, SIGTERM)
sigaddset(&stopSignals, SIGINT)
pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
signal(SIGPIPE, SIG_IGN)
// The defaults shown by --help and the start line come from the simulator itself, so they cannot drift.
let defaults = SimulatorOptions()
let usage = """
usage: dingsim [options]
A loopback DingTalk for trying dingsync without DingTalk: tokens, listing and get (topapi and
v1), the Stream gateway, and a group robot at BASE_URL/robot/send?access_token=\(defaults.robotAccessToken)
(signing secret \(defaults.robotSecret ?? "none")), over seeded instances of the reference form 万师傅充值单.
Runs until SIGTERM/SIGINT (Ctrl-C). Its credentials are fake: never give it a real secret.
  --port N            port on 127.0.0.1 (default 0: any free port; the start line says which)
  --port-file PATH    also write the port to PATH once listening
  --seed N            seed of the generated instances (default 42)
  --count N           instances to generate (default 300)
  --days N            created over the last N days (default 40)
  --latency-ms N      delay of every answer (default 0)
  --qps N             answer 90018 (throttled) above N requests a second per API (default: no limit)
  --app-key K         the app key it accepts (default \(defaults.appKey))
  --app-secret S      the app secret it accepts (default \(defaults.appSecret))
  --process-code P    the form's process code (default \(defaults.processCode))
  --control stdin     read commands on stdin, one a line, answer each with one line on stdout;
                      exit when stdin closes (so a benchmark that dies never leaves us behind).
      step NEW CLOSE  add NEW fresh instances (created in the last second), approve the
                      CLOSE oldest open ones -> step {"open_before":..,"added":..,...}
      stats           request counters -> stats {"token":..,"listids":..,"get":..,...}
      reset           zero the counters -> reset {"ok":1}
Start line (stdout, one line): dingsim listening on BASE_URL app_key=K app_secret=S process_code=P
(a key or secret given by flag is not echoed); then, on stderr, the variables that point
Config/wan-recharge.json at it.
"""

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("dingsim: \(message)\n\(usage)\n".utf8))
    exit(64)
}

var port = 0, seed: UInt64 = 42, count = 300, days = 40, latency = 0
var qps: Int?
var portFile: String?
var controlStdin = false
var options = SimulatorOptions()

var args = CommandLine.arguments.dropFirst()
while let flag = args.popFirst() {
    if flag == "-h" || flag == "--help" { print(usage); exit(0) }
    guard let value = args.popFirst() else { fail("\(flag) needs a value") }
    func number<T: FixedWidthInteger>(_: T.Type) -> T {
        guard let n = T(value), n >= 0 else { fail("\(flag) wants a non-negative integer, got \(value)") }
        return n
    }
    switch flag {
    case "--port": port = number(Int.self)
    case "--seed": seed = number(UInt64.self)
    case "--count": count = number(Int.self)
    case "--days": days = number(Int.self)
    case "--latency-ms": latency = number(Int.self)
    case "--qps": qps = number(Int.self)
    case "--app-key": options.appKey = value
    case "--app-secret": options.appSecret = value
    case "--process-code": options.processCode = value
    case "--port-file": portFile = value
    case "--control":
        guard value == "stdin" else { fail("--control supports only stdin") }
        controlStdin = true
    default: fail("unknown option \(flag)")
    }
}

options.latencyMs = latency
options.faults.qpsLimitPerAPI = qps
let now = options.now()
var generator = ReferenceFormGenerator(seed: seed, processCode: options.processCode)
let sim = DingTalkSimulator(options: options)
sim.add(generator.make(count: count, fromMs: now - Int64(days) * 86_400_000, toMs: now))

do {
    try sim.start(port: port)
} catch {
    FileHandle.standardError.write(Data("dingsim: cannot listen on 127.0.0.1:\(port): \(error)\n".utf8))
    exit(69)
}
if let portFile {
    do {
        try "\(sim.port)\n".write(toFile: portFile, atomically: true, encoding: .utf8)
    } catch {
        FileHandle.standardError.write(Data("dingsim: cannot write \(portFile): \(error)\n".utf8))
        sim.stop()
        exit(73)
    }
}
// Written unbuffered: scripts wait for this line before they start the client.
// The simulator's own default credentials are fake and printed; ones given by flag are not
// echoed (someone may have typed a real secret).
let shownKey = options.appKey == defaults.appKey ? options.appKey : "(as given by --app-key)"
let shownSecret = options.appSecret == defaults.appSecret ? options.appSecret : "(as given by --app-secret)"
FileHandle.standardOutput.write(Data(("dingsim listening on \(sim.baseURL) app_key=\(shownKey) app_secret=\(shownSecret) "
    + "process_code=\(options.processCode)\n").utf8))
FileHandle.standardError.write(Data(("dingsim: \(count) instances of 万师傅充值单 created over the last \(days) days. "
    + "Point the reference job at it with: DINGTALK_BASE_URL=\(sim.baseURL) DINGTALK_APP_KEY=\(shownKey) "
    + "DINGTALK_APP_SECRET=\(shownSecret) DINGTALK_PROCESS_CODE=\(options.processCode)\n").utf8))

if controlStdin {
    // Started after the signal mask is set, so this thread never takes SIGTERM/SIGINT either.
    let control = Thread { [sim, seed, options] in
        var steps: UInt64 = 0
        while let line = readLine() {
            let words = line.split(separator: " ").map(String.init)
            let answer: String
            switch words.first {
            case "step" where words.count == 3:
                guard let new = Int(words[1]), let close = Int(words[2]), new >= 0, close >= 0 else {
                    answer = "error step wants two non-negative integers"
                    break
                }
                steps += 1
                // A different seed per step: fresh ids, never colliding with the initial ones.
                var fresh = ReferenceFormGenerator(seed: seed ^ (0xC0FFEE &* steps), processCode: options.processCode)
                let at = options.now()
                let made = fresh.make(count: new, fromMs: at - 1000, toMs: at - 1)
                answer = "step " + sim.step(adding: made, closing: close, nowMs: at).json
            case "stats": answer = "stats " + sim.statsJSON()
            case "reset":
                sim.resetCounters()
                answer = "reset {\"ok\":1}"
            default: answer = "error unknown command: \(line)"
            }
            FileHandle.standardOutput.write(Data((answer + "\n").utf8))
        }
        sim.stop()
        exit(0)
    }
    control.start()
}

// The signals stay blocked since the top of main, so one sent at any moment after the line
// above is pending here rather than lost.
var received: Int32 = 0
while sigwait(&stopSignals, &received) != 0 {}
sim.stop()
exit(0)
