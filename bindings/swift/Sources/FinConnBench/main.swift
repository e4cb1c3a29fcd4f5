// Micro-benchmark of Flow.handleUrl called from Swift through the generated bindings, the way an
// iOS app calls it for every deep link; twin of bindings/tests/kotlin-bench/HandleUrlBench.kt.
// Not an XCTest. scripts/swift-tests.sh builds it in release against the release static library
// (the way the shipped package links) and runs it as a smoke test; scripts/ffi-bench.sh runs it
// for the numbers.
//
// `handleUrl` is async (it may save the flow's hints, on the library's executor): each sample is one
// awaited call, the hop to the library's "finconn-runtime" thread and back included.
//
// Per URL: WARMUP calls, then N calls each timed on its own with DispatchTime; prints p50/p90/p99/
// mean in µs, and the same for `coreVersion()`, an export that does almost nothing in Rust (the
// floor of any call through the bindings). Arguments: --n N, --warmup N. URLs: env
// FINCONN_BENCH_MATCHING_URL / FINCONN_BENCH_HOSTILE_URL (defaults as in the Rust bench).
import Dispatch
import FinConn
import Foundation

let returnUrls = ["myapp://stripe-redirect", "https://example.com/fc-return"]
let defaultMatching = "https://example.com/fc-return?status=success"
    + "&session_id=fcsess_1MuOL4IG1CZuezXpoeuzQJYm&linked_account=fca_1MuOLGIG1CZuezXpjZnH7XAL"
    + "&payment_intent=pi_3MtwBwLkdIwHu7ix28a3tqPa&redirect_status=succeeded&source_redirect_slug=test_YWNjdF8x"
let defaultHostile = "https://example.com.evil.io/fc-return?status=success"
    + "&session_id=fcsess_1MuOL4IG1CZuezXpoeuzQJYm&next=https%3A%2F%2Fevil.io%2Fsteal"

func argument(_ name: String, default value: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count,
          let number = Int(arguments[index + 1]), number >= 0
    else { return value }
    return number
}

func environment(_ name: String, default value: String) -> String {
    guard let found = ProcessInfo.processInfo.environment[name], !found.isEmpty else { return value }
    return found
}

struct Stats {
    let p50: UInt64, p90: UInt64, p99: UInt64, mean: Double

    init(_ samples: [UInt64]) {
        let sorted = samples.sorted()
        func rank(_ p: Double) -> UInt64 { // nearest rank
            let index = Int((p / 100 * Double(sorted.count)).rounded(.up))
            return sorted[min(max(index, 1), sorted.count) - 1]
        }
        p50 = rank(50)
        p90 = rank(90)
        p99 = rank(99)
        mean = Double(sorted.reduce(0, +)) / Double(sorted.count)
    }

    func line(_ label: String) -> String {
        func us(_ nanos: Double) -> String { String(format: "%.3f µs", nanos / 1000) }
        return "\(label): p50 \(us(Double(p50)))  p90 \(us(Double(p90)))  p99 \(us(Double(p99)))  mean \(us(mean))"
    }
}

/// Times `call`: `warmup` untimed calls, then `n` calls each timed on its own. `sink` keeps the
/// results alive so the optimizer cannot drop the calls.
func measure(warmup: Int, n: Int, sink: inout Int, _ call: () async -> Int) async -> Stats {
    for _ in 0..<warmup { sink &+= await call() }
    var samples = [UInt64](repeating: 0, count: n)
    for i in 0..<n {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = await call()
        samples[i] = DispatchTime.now().uptimeNanoseconds - start
        sink &+= result
    }
    return Stats(samples)
}

func run() async throws {
    let n = max(1, argument("--n", default: 200_000))
    let warmup = argument("--warmup", default: 20_000)
    let matching = environment("FINCONN_BENCH_MATCHING_URL", default: defaultMatching)
    let hostile = environment("FINCONN_BENCH_HOSTILE_URL", default: defaultHostile)

    let dataDir = FileManager.default.temporaryDirectory
        .appendingPathComponent("finconn-swift-bench-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dataDir) }

    // Nothing listens on 127.0.0.1:9 (discard); handleUrl makes no request anyway.
    let config = FlowClientConfig(backendUrl: "http://127.0.0.1:9", returnUrls: returnUrls, dataDir: dataDir.path)
    let client = try await FlowClient.open(config: config)
    let flow = try client.newFlow(options: SessionOptions(permissions: [.balances], returnUrl: returnUrls[1]))
    guard try await flow.handleUrl(url: matching).isFlowUrl else { fatalError("the matching URL must match") }
    guard try await !flow.handleUrl(url: hostile).isFlowUrl else { fatalError("the hostile URL must be rejected") }

    var sink = 0
    print("swift-bench: core \(coreVersion()), n \(n), warmup \(warmup)")
    let floor = await measure(warmup: warmup, n: n, sink: &sink) { coreVersion().utf8.count }
    print(floor.line("coreVersion"))
    let matched = await measure(warmup: warmup, n: n, sink: &sink) {
        ((try? await flow.handleUrl(url: matching))?.isFlowUrl ?? false) ? 1 : 0
    }
    print(matched.line("handleUrl matching"))
    let rejected = await measure(warmup: warmup, n: n, sink: &sink) {
        ((try? await flow.handleUrl(url: hostile))?.isFlowUrl ?? true) ? 1 : 0
    }
    print(rejected.line("handleUrl hostile"))
    print("swift-bench: ok (sink \(sink % 2))")
}

try await run()
