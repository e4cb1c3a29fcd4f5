// Micro-benchmark of Flow.handleUrl called from Kotlin through the generated bindings (JNA) against
// the release libfinconn_ffi, the way an Android app calls it for every deep link. Not a JUnit test
// (it lives outside bindings/tests/kotlin/ on purpose). Run with scripts/ffi-bench.sh, which also
// runs the same call in Rust (bindings/ffi/benches/handle_url.rs) and prints both.
//
// `handleUrl` is a suspend call (it may save the flow's hints, on the library's executor): each
// sample is one call from a coroutine (runBlocking's event loop on this thread), the hop to the
// library's "finconn-runtime" thread and back included, as an app pays it.
//
// Per URL: WARMUP calls (JIT), then N calls each timed on its own with System.nanoTime; prints
// p50/p90/p99/mean in µs. The cost of the two nanoTime calls themselves is measured and printed
// too (it is included in every sample), and so is `coreVersion()`, an export that does almost
// nothing in Rust: the floor of any call through the bindings. Settings: -Dfinconn.bench.n, -Dfinconn.bench.warmup;
// URLs: env FINCONN_BENCH_MATCHING_URL / FINCONN_BENCH_HOSTILE_URL (defaults as in the Rust bench).
package io.finconn.bench

import io.finconn.FlowClient
import io.finconn.FlowClientConfig
import io.finconn.Permission
import io.finconn.SessionOptions
import io.finconn.coreVersion
import io.finconn.open
import java.nio.file.Files
import java.util.Locale
import kotlin.math.ceil
import kotlinx.coroutines.runBlocking

private val RETURN_URLS = listOf("myapp://stripe-redirect", "https://example.com/fc-return")

// A real-looking return: the app's https link plus what Stripe and the flow append.
private const val MATCHING =
    "https://example.com/fc-return?status=success" +
        "&session_id=fcsess_1MuOL4IG1CZuezXpoeuzQJYm&linked_account=fca_1MuOLGIG1CZuezXpjZnH7XAL" +
        "&payment_intent=pi_3MtwBwLkdIwHu7ix28a3tqPa&redirect_status=succeeded&source_redirect_slug=test_YWNjdF8x"

// A hostile look-alike that survives the byte scan and fails on the host.
private const val HOSTILE =
    "https://example.com.evil.io/fc-return?status=success" +
        "&session_id=fcsess_1MuOL4IG1CZuezXpoeuzQJYm&next=https%3A%2F%2Fevil.io%2Fsteal"

// Results land here so the JIT cannot drop the calls.
@Volatile
private var sink: Any? = null

private class Stats(sortedNanos: LongArray) {
    val p50 = percentile(sortedNanos, 50.0)
    val p90 = percentile(sortedNanos, 90.0)
    val p99 = percentile(sortedNanos, 99.0)
    val mean = sortedNanos.average()

    private fun percentile(sorted: LongArray, p: Double): Long {
        val rank = ceil(p / 100.0 * sorted.size).toInt().coerceIn(1, sorted.size) // nearest rank
        return sorted[rank - 1]
    }
}

private fun us(nanos: Number) = String.format(Locale.ROOT, "%.3f µs", nanos.toDouble() / 1_000.0)

private inline fun measure(warmup: Int, n: Int, call: () -> Any?): Stats {
    repeat(warmup) { sink = call() }
    val samples = LongArray(n)
    for (i in 0 until n) {
        val start = System.nanoTime()
        val result = call()
        samples[i] = System.nanoTime() - start
        sink = result
    }
    samples.sort()
    return Stats(samples)
}

fun main() = runBlocking<Unit> {
    val n = System.getProperty("finconn.bench.n")?.toInt() ?: 200_000
    val warmup = System.getProperty("finconn.bench.warmup")?.toInt() ?: 20_000
    val matching = System.getenv("FINCONN_BENCH_MATCHING_URL")?.takeIf { it.isNotEmpty() } ?: MATCHING
    val hostile = System.getenv("FINCONN_BENCH_HOSTILE_URL")?.takeIf { it.isNotEmpty() } ?: HOSTILE

    val dataDir = Files.createTempDirectory("finconn-kotlin-bench").toFile()
    try {
        // Nothing listens on 127.0.0.1:9 (discard); handleUrl makes no request anyway.
        val config = FlowClientConfig(backendUrl = "http://127.0.0.1:9", returnUrls = RETURN_URLS, dataDir = dataDir.path)
        FlowClient.open(config, null).use { client ->
            client.newFlow(SessionOptions(permissions = listOf(Permission.BALANCES), returnUrl = RETURN_URLS[1])).use { flow ->
                check(flow.handleUrl(matching).isFlowUrl) { "$matching must match" }
                check(!flow.handleUrl(hostile).isFlowUrl) { "$hostile must be rejected" }

                val timer = measure(warmup, n) { null }
                println("kotlin nanoTime pair (timer cost in every sample): p50 ${us(timer.p50)}  p99 ${us(timer.p99)}")
                // Reference: about the cheapest export there is (no argument, a String back), so
                // nearly all of its time is the boundary itself (JNA call + RustBuffer lift/free).
                val floor = measure(warmup, n) { coreVersion() }
                println("kotlin coreVersion (reference, ~pure FFI cost): p50 ${us(floor.p50)}  p90 ${us(floor.p90)}  p99 ${us(floor.p99)}")
                for ((name, url) in listOf("matching" to matching, "hostile" to hostile)) {
                    val s = measure(warmup, n) { flow.handleUrl(url) }
                    println(
                        "kotlin handleUrl $name: p50 ${us(s.p50)}  p90 ${us(s.p90)}  p99 ${us(s.p99)}  " +
                            "mean ${us(s.mean)}  (n=$n after $warmup warm-up calls)",
                    )
                }
            }
        }
    } finally {
        dataDir.deleteRecursively()
    }
}
