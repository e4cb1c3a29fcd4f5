// The synchronous calls an app makes, timed from Kotlin on the JVM through the generated bindings
// (JNA) against the release libfinconn_ffi. Every call that reads or writes the data directory is
// `suspend` and runs on the library's own thread; what is left synchronous runs on the caller's
// thread (often Android's main thread), so each must stay far below a frame: this program says
// whether every p99 is at most 500 µs. Not a JUnit test (it lives outside bindings/tests/kotlin/
// on purpose): run it with scripts/sync-calls-bench.sh.
//
// Setup, no network: a client over a fake HttpTransport that answers the create-session call
// (with an invented session) and refuses the completion report; a flow started and presented (a
// session, a sheet configuration, a snapshot as large as during a real flow); a canceled flow (a
// result); a listener registered (so `recordStripeEvent` queues an event, as in an app); a `link`
// whose fake presenter times the `LinkEvents` calls while "its sheet is up".
//
// Per call: WARMUP untimed calls, then N calls each timed on its own with System.nanoTime; prints
// p50/p99/max in µs, then one line per call and the verdict. Exits 1 if a p99 is above the bound
// (unless -Dfinconn.bench.reportOnly=true, for smoke runs of an unoptimised build). Settings:
// -Dfinconn.bench.n, -Dfinconn.bench.warmup, -Dfinconn.bench.boundUs.
package io.finconn.bench

import io.finconn.Flow
import io.finconn.FlowClient
import io.finconn.FlowClientConfig
import io.finconn.FlowListener
import io.finconn.HttpRequest
import io.finconn.HttpResponse
import io.finconn.HttpTransport
import io.finconn.LinkEvents
import io.finconn.LogLevel
import io.finconn.Logger
import io.finconn.Permission
import io.finconn.SessionOptions
import io.finconn.SheetConfiguration
import io.finconn.SheetPresenter
import io.finconn.SheetResult
import io.finconn.checkReturnUrl
import io.finconn.clearLogger
import io.finconn.core.FinConnException
import io.finconn.core.FlowEvent
import io.finconn.coreVersion
import io.finconn.droppedLogLines
import io.finconn.responseHeaderNames
import io.finconn.setLogger
import java.nio.file.Files
import java.util.Locale
import java.util.concurrent.atomic.AtomicLong
import kotlin.math.ceil
import kotlin.system.exitProcess
import kotlinx.coroutines.runBlocking

private const val RETURN_URL = "https://example.com/fc-return"
private const val SESSION_ID = "fcsess_1MuOL4IG1CZuezXpoeuzQJYm"
private const val DEEP_LINK = "$RETURN_URL?status=success&session_id=$SESSION_ID&linked_account=fca_1MuOLGIG1CZuezXpjZnH7XAL"

// Results land here so the JIT cannot drop the calls.
@Volatile
private var sink: Any? = null

/** The backend, faked: a session for every create call, 404 for the completion report. */
private class FakeBackend : HttpTransport {
    override suspend fun send(request: HttpRequest): HttpResponse {
        val json = mapOf("content-type" to "application/json")
        return if (request.url().endsWith("/financial-connections/sessions")) {
            val body =
                """{"session_id":"$SESSION_ID","client_secret":"${SESSION_ID}_secret_benchmark",""" +
                    """"publishable_key":"pk_test_benchmark","livemode":false}"""
            HttpResponse(200, json, body.toByteArray())
        } else {
            HttpResponse(404, json, """{"error":{"message":"unknown session"}}""".toByteArray())
        }
    }
}

private class Stats(val name: String, sortedNanos: LongArray) {
    val p50 = percentile(sortedNanos, 50.0)
    val p99 = percentile(sortedNanos, 99.0)
    val max = sortedNanos.last()

    private fun percentile(sorted: LongArray, p: Double): Long {
        val rank = ceil(p / 100.0 * sorted.size).toInt().coerceIn(1, sorted.size) // nearest rank
        return sorted[rank - 1]
    }
}

private fun us(nanos: Long) = String.format(Locale.ROOT, "%.1f", nanos / 1_000.0)

/** Times [call] N times after [warmup] calls; [after] (untimed) gets each result. */
private inline fun <T> measure(name: String, warmup: Int, n: Int, after: (T) -> Unit = {}, call: () -> T): Stats {
    repeat(warmup) { after(call()) }
    val samples = LongArray(n)
    for (i in 0 until n) {
        val start = System.nanoTime()
        val result = call()
        samples[i] = System.nanoTime() - start
        sink = result
        after(result)
    }
    samples.sort()
    val stats = Stats(name, samples)
    println("sync-call ${name.padEnd(38)} p50 ${us(stats.p50).padStart(7)} µs  p99 ${us(stats.p99).padStart(7)} µs  max ${us(stats.max).padStart(8)} µs  (n=$n)")
    return stats
}

/** Runs the `LinkEvents` benchmarks while its sheet is "up", then reports the sheet canceled. */
private class BenchPresenter(private val bench: (LinkEvents) -> Unit) : SheetPresenter {
    override suspend fun present(configuration: SheetConfiguration, events: LinkEvents): SheetResult {
        bench(events)
        return SheetResult.Canceled
    }
}

fun main() {
    val n = System.getProperty("finconn.bench.n")?.toInt() ?: 50_000
    val warmup = System.getProperty("finconn.bench.warmup")?.toInt() ?: 5_000
    val boundUs = System.getProperty("finconn.bench.boundUs")?.toLong() ?: 500
    val reportOnly = System.getProperty("finconn.bench.reportOnly") == "true"
    val results = mutableListOf<Stats>()
    val dataDir = Files.createTempDirectory("finconn-sync-bench").toFile()
    try {
        val config =
            FlowClientConfig(
                backendUrl = "http://127.0.0.1:9", // never reached: the fake transport answers
                returnUrls = listOf(RETURN_URL),
                dataDir = dataDir.path,
                stripeFallback = false,
                maxAttempts = 1,
            )
        val options = SessionOptions(permissions = listOf(Permission.BALANCES), returnUrl = RETURN_URL)
        val client = runBlocking { FlowClient.open(config, null, FakeBackend()) }
        client.use {
            val events = AtomicLong()
            client.addListener(
                object : FlowListener {
                    override fun onEvent(event: FlowEvent) {
                        events.incrementAndGet()
                    }
                },
            )
            val flow = client.newFlow(options)
            val sheet = runBlocking { flow.start() }
            runBlocking { flow.sheetPresented() }
            val ended = client.newFlow(options)
            runBlocking { ended.cancel() }
            check(flow.sessionId() == SESSION_ID && ended.result() != null) { "the setup failed" }
            val metadata = mapOf("institution_name" to "StripeBank")

            println("sync-calls-bench: core ${coreVersion()}, n $n, warm-up $warmup, bound $boundUs µs (p99)")
            results += measure("coreVersion (reference)", warmup, n) { coreVersion() }
            results += measure("Flow.flowId", warmup, n) { flow.flowId() }
            results += measure("Flow.phase", warmup, n) { flow.phase() }
            results += measure("Flow.sessionId", warmup, n) { flow.sessionId() }
            results += measure("Flow.result (no result yet)", warmup, n) { flow.result() }
            results += measure("Flow.result (ended flow)", warmup, n) { ended.result() }
            results += measure("Flow.snapshot (presenting)", warmup, n) { flow.snapshot() }
            results += measure("Flow.recordStripeEvent (1 listener)", warmup, n) { flow.recordStripeEvent("institution_selected", metadata) }
            results += measure("SheetConfiguration.clientSecret", warmup, n) { sheet.clientSecret() }
            results += measure("SheetConfiguration.publishableKey", warmup, n) { sheet.publishableKey() }
            results += measure<Flow>("FlowClient.newFlow", warmup, n, after = { it.close() }) { client.newFlow(options) }
            results += measure("FlowClient.checkUrl", warmup, n) { client.checkUrl(DEEP_LINK) }
            results += measure("checkReturnUrl", warmup, n) { checkReturnUrl(DEEP_LINK, listOf(RETURN_URL), null) }
            results += measure("FlowClient.droppedEvents", warmup, n) { client.droppedEvents() }
            results +=
                measure("FlowClient.addListener+removeListener", warmup, n) {
                    client.removeListener(
                        client.addListener(
                            object : FlowListener {
                                override fun onEvent(event: FlowEvent) {}
                            },
                        ),
                    )
                }
            results += measure("responseHeaderNames", warmup, n) { responseHeaderNames() }
            results += measure("droppedLogLines", warmup, n) { droppedLogLines() }
            val quiet =
                object : Logger {
                    override fun log(level: LogLevel, target: String, message: String) {}
                }
            results += measure("setLogger+clearLogger", warmup, n) { setLogger(quiet, LogLevel.INFO); clearLogger() }

            // LinkEvents exist while a link's sheet is up: timed inside the fake presenter.
            try {
                runBlocking {
                    client.link(
                        options,
                        BenchPresenter { linkEvents ->
                            results += measure("LinkEvents.recordStripeEvent", warmup, n) { linkEvents.recordStripeEvent("open", metadata) }
                            results += measure("LinkEvents.flowId", warmup, n) { linkEvents.flowId() }
                        },
                    )
                }
            } catch (e: FinConnException) {
                // The fake backend refuses the canceled flow's report: not what is measured here.
            }
            check(results.any { it.name == "LinkEvents.flowId" }) { "the link's presenter was never called" }
            sink = events.get()
            flow.close()
            ended.close()
            sheet.close()
        }
    } finally {
        dataDir.deleteRecursively()
    }

    val over = results.filter { it.p99 > boundUs * 1_000 }
    val worst = results.maxByOrNull { it.p99 }!!
    println(
        "sync-calls-bench: ${results.size} synchronous calls, worst p99 ${us(worst.p99)} µs (${worst.name}); " +
            if (over.isEmpty()) {
                "every p99 <= $boundUs µs: yes"
            } else {
                "every p99 <= $boundUs µs: NO (${over.joinToString { it.name }})"
            },
    )
    if (over.isNotEmpty() && !reportOnly) exitProcess(1)
}
