// JVM tests of the generated Kotlin bindings (package io.finconn) against the real libfinconn_ffi,
// built with the `testing` feature so the loopback simulator runs in-process. Each test drives a
// whole flow from Kotlin the way an Android app would: FlowClient → Flow.start → (the simulated
// sheet) → handleUrl → sheetResult → FlowResult. Run with scripts/kotlin-tests.sh.
package io.finconn.tests

import io.finconn.Account
import io.finconn.core.BackendEndpoints
import io.finconn.AccountAction
import io.finconn.core.FeatureOutcome
import io.finconn.core.ResultWarning
import io.finconn.CallbackException
import io.finconn.AccountStatus
import io.finconn.core.FinConnException
import io.finconn.FlowClient
import io.finconn.FlowClientConfig
import io.finconn.core.FlowEvent
import io.finconn.FlowListener
import io.finconn.core.FlowPhase
import io.finconn.core.FlowStatus
import io.finconn.HeadersProvider
import io.finconn.HttpRequest
import io.finconn.HttpResponse
import io.finconn.HttpTransport
import io.finconn.PlatformHttpTransport
import io.finconn.InternalException
import io.finconn.LogLevel
import io.finconn.Logger
import io.finconn.core.MatchKind
import io.finconn.core.OutboxSummary
import io.finconn.Permission
import io.finconn.RelinkOutcome
import io.finconn.core.RelinkRequest
import io.finconn.core.ResultSource
import io.finconn.SessionOptions
import io.finconn.SheetResult
import io.finconn.TestSimulator
import io.finconn.checkReturnUrl
import io.finconn.open
import io.finconn.clearLogger
import io.finconn.coreVersion
import io.finconn.setLogger
import io.finconn.testingCoreBackendEndpoints
import io.finconn.testingCoreDefaults
import io.finconn.testingDiskWork
import io.finconn.testingPanic
import io.finconn.testingPanicOffloaded
import java.io.File
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.attribute.BasicFileAttributes
import java.util.Collections
import java.util.concurrent.Callable
import java.util.concurrent.ExecutionException
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.TimeoutException
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.delay
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.rules.Timeout

/**
 * A copy of a list that another thread (the library's event or log thread) may still be
 * appending to: iterating a `Collections.synchronizedList` needs its lock.
 */
private fun <T> MutableList<T>.snapshot(): List<T> = synchronized(this) { toList() }

private const val RETURN_URL = "finconn-test://stripe-redirect"
private const val APP_ID = "com.example.app"

class FlowBindingsTest : SimulatorFixture("finconn-kotlin-test") {
    private val userToken =
        object : HeadersProvider {
            override fun headers(): Map<String, String> = mapOf("Authorization" to "Bearer kotlin-user")
        }

    private suspend fun newClient(): FlowClient =
        FlowClient.open(
            FlowClientConfig(
                backendUrl = sim.backendUrl(),
                returnUrls = listOf(RETURN_URL),
                androidAppId = APP_ID,
                dataDir = dataDir.path,
                stripeApiUrl = sim.backendUrl(),
                requestTimeoutMs = 5_000L,
                maxAttempts = 4,
            ),
            userToken,
        )

    private fun options(relink: RelinkRequest? = null) =
        SessionOptions(
            permissions = listOf(Permission.BALANCES, Permission.PAYMENT_METHOD),
            relink = relink,
            returnUrl = RETURN_URL,
        )

    /** start → present → the user at `institution` → deep link → the sheet's result. */
    private suspend fun runFlow(client: FlowClient, institution: String, opts: SessionOptions = options()) =
        client.newFlow(opts).use { flow ->
            val sheet = flow.start()
            flow.sheetPresented()
            val done = sim.completeSheet(sheet.sessionId(), institution)
            done.redirectUrl?.let { assertTrue(flow.handleUrl(it).isFlowUrl) }
            val result =
                when (done.outcome) {
                    "completed" -> SheetResult.Completed
                    "canceled" -> SheetResult.Canceled
                    else -> SheetResult.Failed(done.errorCode ?: "unexpected_error")
                }
            flow.sheetResult(result)
        }

    @Test
    fun successLinksThreeAccountsWithOneSessionAndOneReport() = runBlocking<Unit> {
        newClient().use { client ->
            val result = runFlow(client, "success_three")
            assertEquals(FlowStatus.COMPLETED, result.status)
            assertEquals(ResultSource.SERVER, result.source)
            assertEquals(3, result.accounts.size)
            val checking = result.accounts.first()
            assertEquals("${checking.institutionName} •••• ${checking.last4}", checking.displayLine)
            assertTrue(result.accounts.all { it.status == AccountStatus.Active })
            assertEquals(1, sim.sessionsCreated())
            assertEquals(1, sim.reportsReceived(result.sessionId!!))
            // The backend now lists the same accounts.
            assertEquals(result.accounts.map(Account::id).toSet(), client.listAccounts().map(Account::id).toSet())
        }
    }

    @Test
    fun exitEarlyIsCanceledWithNoAccounts() = runBlocking<Unit> {
        newClient().use { client ->
            val result = runFlow(client, "exit_early")
            assertEquals(FlowStatus.CANCELED, result.status)
            assertTrue(result.accounts.isEmpty())
            assertNull(result.relink)
        }
    }

    @Test
    fun relinkRepairsTheInactiveAccount() = runBlocking<Unit> {
        newClient().use { client ->
            val first = runFlow(client, "inactive_needs_relink")
            val broken = first.accounts.single { it.needsRelinkNow }
            assertEquals(AccountStatus.Inactive, broken.status)
            assertNotNull("an active account warns before deactivation", first.accounts.firstOrNull { it.relinkRequiredByUnixSeconds != null })
            val relink =
                RelinkRequest(
                    authorization = broken.authorization!!,
                    account = broken.id,
                    knownAccountIds = first.accounts.map(Account::id),
                )
            val result = runFlow(client, "relink_same", options(relink))
            assertEquals(FlowStatus.COMPLETED, result.status)
            val outcome = result.relink as RelinkOutcome.Relinked
            assertEquals(broken.authorization, outcome.authorization)
            assertEquals(AccountStatus.Active, result.accounts.single { it.id == broken.id }.status)
        }
    }

    @Test
    fun relinkFailureReasonsArriveTyped() = runBlocking<Unit> {
        newClient().use { client ->
            val first = runFlow(client, "inactive_needs_relink")
            val broken = first.accounts.single { it.needsRelinkNow }
            val result = runFlow(client, "relink_no_authorization", options(RelinkRequest(broken.authorization!!)))
            assertEquals(FlowStatus.CANCELED, result.status)
            assertEquals(RelinkOutcome.Failed("no_authorization"), result.relink)
        }
    }

    @Test
    fun hostileDeepLinksAreRejectedAndRealOnesAccepted() = runBlocking<Unit> {
        newClient().use { client ->
            client.newFlow(options()).use { flow ->
                val sheet = flow.start()
                flow.sheetPresented()
                val hostile =
                    listOf(
                        "finconn-test://stripe-redirect.evil.com/?status=success",
                        "finconn-test://evil@stripe-redirect?status=success",
                        "finconn-test:\\\\stripe-redirect",
                        "finconn-test://stripe-redirect/%00",
                        "intent://stripe-redirect#Intent;scheme=finconn-test;end",
                        "https://stripe-redirect.example/?redirect=finconn-test://stripe-redirect",
                        "stripe-auth://link-accounts/com.evil.app/success",
                        "finconn-test://stripe-redirect/" + "a".repeat(10_000),
                        "",
                    )
                for (url in hostile) {
                    val handling = flow.handleUrl(url)
                    assertFalse("should reject $url", handling.isFlowUrl)
                    assertFalse(handling.recorded)
                    assertNotNull("a reason for $url", handling.rejectReason)
                }
                assertEquals(FlowPhase.PRESENTING, flow.phase())
                val ok = flow.handleUrl("$RETURN_URL?status=success&session_id=${sheet.sessionId()}&extra=1")
                assertTrue(ok.isFlowUrl)
                assertTrue(ok.recorded)
                assertEquals("success", ok.hints?.status)
                val android = checkReturnUrl("stripe-auth://link-accounts/$APP_ID/success?x=1", listOf(RETURN_URL), APP_ID)
                assertEquals(MatchKind.STRIPE_ANDROID, android.kind)
                val lookAlike = client.checkUrl("FINCONN-TEST://stripe-redirect.attacker.io")
                assertFalse(lookAlike.matched)
                assertNotNull(lookAlike.rejectMessage)
            }
        }
    }

    @Test
    fun backendRejectionIsATypedException() = runBlocking<Unit> {
        newClient().use { client ->
            sim.pushFault("create_session", "status:400", 1)
            client.newFlow(options()).use { flow ->
                val e = assertThrows(FinConnException.Rejected::class.java) { runBlocking { flow.start() } }
                assertEquals(400, e.status)
                assertEquals(FlowPhase.FAILED, flow.phase())
            }
            assertEquals(0, sim.sessionsCreated())
        }
    }

    @Test
    fun errorsCarryAStableCodeAndResultsPrintTheirContent() = runBlocking<Unit> {
        newClient().use { client ->
            sim.pushFault("create_session", "status:400", 1)
            client.newFlow(options()).use { flow ->
                val e = assertThrows(FinConnException::class.java) { runBlocking { flow.start() } }
                // Every error answers code(), requestId() and isRetryable(), whatever its class.
                assertEquals("rejected", e.code())
                assertEquals((e as FinConnException.Rejected).requestId, e.requestId())
                assertFalse(e.isRetryable())
            }
            val invalid = assertThrows(FinConnException::class.java) {
                client.newFlow(SessionOptions(permissions = emptyList()))
            }
            assertEquals("invalid_configuration", invalid.code())
            assertEquals(null, invalid.requestId())
        }
        // Results print their variant and fields, never a class name and an address.
        val values = listOf<Any>(
            FeatureOutcome.Succeeded, FeatureOutcome.TooSoon(5L), SheetResult.Canceled,
            SheetResult.Failed("boom"), AccountAction.Disconnected, RelinkOutcome.Unfinished,
            ResultWarning.ServerUnavailable,
        )
        for (value in values) {
            val text = value.toString()
            assertFalse(text, text.contains("@") || text.contains("$"))
        }
        assertEquals("TooSoon { retry_at_unix_seconds: 5 }", FeatureOutcome.TooSoon(5L).toString())
        assertEquals("Failed { error: \"boom\" }", SheetResult.Failed("boom").toString())
    }

    @Test
    fun coreDefaultsMatchTheGeneratedOnes() {
        // What Kotlin shows as defaults is what the Rust core uses: written once, in the core.
        val generated = FlowClientConfig(backendUrl = "https://api.example.com", returnUrls = listOf(RETURN_URL), dataDir = "/data")
        assertEquals(testingCoreDefaults("https://api.example.com", listOf(RETURN_URL), "/data"), generated)
        assertEquals(testingCoreBackendEndpoints(), BackendEndpoints())
        assertTrue("the Stripe fallback is on by default", generated.stripeFallback)
    }

    @Test
    fun outageIsServiceUnavailableAndStartingAgainMakesOneSession() = runBlocking<Unit> {
        newClient().use { client ->
            sim.pushFault("create_session", "status:503", 4)
            client.newFlow(options()).use { flow ->
                val e = assertThrows(FinConnException.ServiceUnavailable::class.java) { runBlocking { flow.start() } }
                assertEquals(503, e.status)
                assertEquals(FlowPhase.CREATING_SESSION, flow.phase())
                flow.start()
                assertEquals(FlowPhase.READY, flow.phase())
            }
            assertEquals(1, sim.sessionsCreated())
        }
    }

    @Test
    fun flakyBackendStillMeansOneSessionAndOneReport() = runBlocking<Unit> {
        sim.pushFault("create_session", "reset", 1)
        sim.pushFault("create_session", "reset_after_commit", 1)
        sim.pushFault("complete", "malformed_json_after_commit", 1)
        sim.pushFault("complete", "status:502", 1)
        newClient().use { client ->
            val result = runFlow(client, "success_one")
            assertEquals(FlowStatus.COMPLETED, result.status)
            assertEquals(1, result.accounts.size)
            assertEquals(1, sim.sessionsCreated())
            assertEquals(1, sim.reportsReceived(result.sessionId!!))
        }
    }

    @Test
    fun restoreAfterProcessDeathReconcilesWithOneReport() = runBlocking<Unit> {
        val snapshot: String
        val sessionId: String
        newClient().use { client ->
            client.newFlow(options()).use { flow ->
                sessionId = flow.start().sessionId()
                flow.sheetPresented()
                flow.userLeftApp()
                snapshot = flow.snapshot()
            }
        } // the process dies here: flow and client are gone
        val done = sim.completeSheet(sessionId, "success_one")
        newClient().use { client ->
            assertEquals(0, client.sendPendingReports().delivered)
            client.restoreFlow(snapshot).use { flow ->
                assertEquals(FlowPhase.AWAITING_RETURN, flow.phase())
                assertTrue(flow.handleUrl(done.redirectUrl!!).recorded)
                val result = flow.resume()
                assertEquals(FlowStatus.COMPLETED, result.status)
                assertEquals(done.accountIds, result.accounts.map(Account::id))
                assertEquals(result, flow.resume()) // a finished flow answers the same again
            }
        }
        assertEquals(1, sim.sessionsCreated())
        assertEquals(1, sim.reportsReceived(sessionId))
    }

    @Test
    fun snapshotHoldsNoSecretAndBadSnapshotsAreTyped() = runBlocking<Unit> {
        newClient().use { client ->
            client.newFlow(options()).use { flow ->
                val sheet = flow.start()
                val snapshot = flow.snapshot()
                assertTrue(sheet.clientSecret().isNotEmpty() && sheet.publishableKey().isNotEmpty())
                assertFalse(snapshot.contains(sheet.clientSecret()))
                assertFalse(snapshot.contains(sheet.publishableKey()))
                assertTrue(snapshot.contains(sheet.sessionId()))
            }
            assertThrows(FinConnException.SnapshotUnusable::class.java) { runBlocking { client.restoreFlow("{not json") } }
            assertThrows(FinConnException.SnapshotUnusable::class.java) { runBlocking { client.restoreFlow("""{"version": 999}""") } }
        }
    }

    @Test
    fun hundredConcurrentSuspendCallsAllComplete() = runBlocking<Unit> {
        newClient().use { client ->
            val flows = (1..100).map { client.newFlow(options()) }
            val configs = flows.map { flow -> async(Dispatchers.Default) { flow.start() } }.awaitAll()
            assertEquals(100, configs.map { it.sessionId() }.toSet().size)
            assertEquals(100, sim.sessionsCreated())
            val lists = (1..100).map { async(Dispatchers.Default) { client.listAccounts() } }.awaitAll()
            assertEquals(100, lists.size)
            flows.forEach { it.close() }
        }
    }

    @Test
    fun aRustPanicIsAnExceptionNotACrash() {
        val e = assertThrows(InternalException::class.java) { testingPanic("boom from Kotlin") }
        assertTrue(e.message, e.message!!.contains("boom from Kotlin"))
        // The library is still usable afterwards.
        assertTrue(coreVersion().isNotEmpty())
        assertTrue(checkReturnUrl("$RETURN_URL?status=success", listOf(RETURN_URL), null).matched)
    }

    @Test
    fun aPanicOnTheLibraryExecutorIsAnExceptionNotACrash() = runBlocking<Unit> {
        // The same panic inside an async call, whose body runs on the library's own thread.
        val e = assertThrows(InternalException::class.java) { runBlocking { testingPanicOffloaded("boom on the runtime") } }
        assertTrue(e.message, e.message!!.contains("boom on the runtime"))
        // The executor still runs calls afterwards.
        newClient().use { client -> assertTrue(client.checkSetup().isNotEmpty()) }
    }

    /**
     * Every call that touches the data directory does it on the library's own thread
     * ("finconn-runtime"), never on the caller's (here the test's thread, polling the calls from
     * runBlocking's event loop as an app's Main dispatcher would); the synchronous calls touch no
     * file at all. A listener or a transport that records its thread would prove nothing about
     * the disk: the library's own witness of its store operations says which thread did them.
     */
    @Test
    fun noLibraryWorkRunsOnTheCallersThread() = runBlocking<Unit> {
        val caller = Thread.currentThread().name
        assertFalse(caller == "finconn-runtime")

        suspend fun <T> onTheLibraryThread(what: String, call: suspend () -> T): T {
            val before = testingDiskWork().operations
            val out = call()
            val after = testingDiskWork()
            assertTrue("$what touched no file", after.operations > before)
            assertEquals("$what touched the disk on ${after.lastThread}, not the library's thread", "finconn-runtime", after.lastThread)
            return out
        }

        fun <T> touchingNoFile(what: String, call: () -> T): T {
            val before = testingDiskWork().operations
            val out = call()
            assertEquals("$what touched a file", before, testingDiskWork().operations)
            return out
        }

        val client = onTheLibraryThread("open") { newClient() }
        client.use {
            val flow = touchingNoFile("newFlow") { client.newFlow(options()) }
            flow.use {
                val sheet = onTheLibraryThread("start") { flow.start() }
                onTheLibraryThread("sheetPresented") { flow.sheetPresented() }
                touchingNoFile("the synchronous calls") {
                    flow.recordStripeEvent("open", emptyMap())
                    listOf(flow.flowId(), flow.phase(), flow.sessionId(), flow.result(), flow.snapshot(), client.checkUrl(RETURN_URL))
                }
                onTheLibraryThread("userLeftApp") { flow.userLeftApp() }
                val done = sim.completeSheet(sheet.sessionId(), "success_one")
                val handled = onTheLibraryThread("handleUrl") { flow.handleUrl(done.redirectUrl!!) }
                assertTrue(handled.recorded)
                val result = onTheLibraryThread("sheetResult") { flow.sheetResult(SheetResult.Completed) }
                assertEquals(FlowStatus.COMPLETED, result.status)
            }
            val idle = touchingNoFile("an idle flow's snapshot") { client.newFlow(options()).use { it.snapshot() } }
            onTheLibraryThread("restoreFlow") { client.restoreFlow(idle) }.use { restored ->
                assertEquals(FlowStatus.CANCELED, onTheLibraryThread("resume") { restored.resume() }.status)
            }
            onTheLibraryThread("resumePending") { client.resumePending() }
        }
        assertEquals(caller, Thread.currentThread().name)
    }

    @Test
    fun closingAFlowReleasesItForTheNextLaunch() = runBlocking<Unit> {
        val sessionId: String
        newClient().use { client ->
            val flow = client.newFlow(options())
            sessionId = flow.start().sessionId()
            flow.sheetPresented()
            flow.close()
            // Use after close: the documented IllegalStateException, outside FinConnException.
            val e = assertThrows(IllegalStateException::class.java) { flow.phase() }
            assertTrue(e.message ?: "", e.message?.contains("destroyed") == true)
            // Closed, the flow's lock is released at once: the launch step finds it, in this
            // very process, without waiting for the garbage collector.
            val recovery = client.resumePending()
            assertEquals(listOf(sessionId), recovery.finished.map { it.sessionId })
        }
        assertEquals(1, sim.reportsReceived(sessionId))
    }

    @Test
    fun listenerReceivesFlowAndStripeEvents() = runBlocking<Unit> {
        val events = Collections.synchronizedList(mutableListOf<FlowEvent>())
        newClient().use { client ->
            val id =
                client.addListener(
                    object : FlowListener {
                        override fun onEvent(event: FlowEvent) {
                            events.add(event)
                        }
                    },
                )
            client.newFlow(options()).use { flow ->
                val sheet = flow.start()
                flow.sheetPresented()
                flow.recordStripeEvent("institution_selected", mapOf("institution_name" to "StripeBank"))
                sim.completeSheet(sheet.sessionId(), "success_one")
                flow.sheetResult(SheetResult.Completed)
            }
            client.removeListener(id)
        }
        val phases = events.snapshot().filterIsInstance<FlowEvent.PhaseChanged>().map { it.to }
        assertEquals(
            listOf(FlowPhase.CREATING_SESSION, FlowPhase.READY, FlowPhase.PRESENTING, FlowPhase.RECONCILING, FlowPhase.COMPLETED),
            phases,
        )
        val stripe = events.snapshot().filterIsInstance<FlowEvent.StripeEvent>().single()
        assertEquals("institution_selected", stripe.name)
        assertEquals("StripeBank", stripe.metadata["institution_name"])
        assertTrue(events.snapshot().any { it is FlowEvent.ReportDelivered })
        assertEquals(FlowStatus.COMPLETED, events.snapshot().filterIsInstance<FlowEvent.Finished>().single().status)
    }

    @Test
    fun invalidConfigurationFailsBeforeAnyNetworkCall() = runBlocking<Unit> {
        newClient().use { client ->
            val e = assertThrows(FinConnException.InvalidConfiguration::class.java) {
                client.newFlow(SessionOptions(permissions = emptyList()))
            }
            assertTrue(e.message, e.message.contains("at least one permission"))
            client.newFlow(options()).use { flow ->
                assertThrows(FinConnException.InvalidState::class.java) { runBlocking { flow.sheetPresented() } }
            }
        }
        assertThrows(FinConnException.InvalidConfiguration::class.java) {
            runBlocking { FlowClient.open(FlowClientConfig(backendUrl = "http://api.example.com", returnUrls = listOf(RETURN_URL), dataDir = dataDir.path), null) }
        }
        assertThrows(FinConnException.InvalidConfiguration::class.java) {
            runBlocking { FlowClient.open(FlowClientConfig(backendUrl = "https://api.example.com", returnUrls = listOf("javascript:alert(1)"), dataDir = dataDir.path), null) }
        }
        assertEquals(0, sim.sessionsCreated())
    }

    @Test
    fun aSheetResultDeliveredTwiceGivesTheSameResultAndOneReport() = runBlocking<Unit> {
        newClient().use { client ->
            client.newFlow(options()).use { flow ->
                val sheet = flow.start()
                flow.sheetPresented()
                sim.completeSheet(sheet.sessionId(), "success_one")
                val first = flow.sheetResult(SheetResult.Completed)
                // Android re-delivers the sheet's result to a recreated activity.
                assertEquals(first, flow.sheetResult(SheetResult.Canceled))
                assertEquals(1, sim.reportsReceived(sheet.sessionId()))
            }
        }
    }

    @Test
    fun cancelBeforeTheSheetAndResumeOfAFlowKilledBeforeItsSession() = runBlocking<Unit> {
        newClient().use { client ->
            client.newFlow(options()).use { flow ->
                flow.start()
                val canceled = flow.cancel()
                assertEquals(FlowStatus.CANCELED, canceled.status)
                assertEquals(FlowPhase.CANCELED, flow.phase())
                assertThrows(FinConnException.InvalidState::class.java) { runBlocking { flow.sheetPresented() } }
            }
            val idleSnapshot = client.newFlow(options()).use { it.snapshot() }
            client.restoreFlow(idleSnapshot).use { restored ->
                val result = restored.resume()
                assertEquals(FlowStatus.CANCELED, result.status)
                assertTrue(result.accounts.isEmpty())
            }
        }
    }

    @Test
    fun presentingTwiceIsAnInvalidState() = runBlocking<Unit> {
        newClient().use { client ->
            client.newFlow(options()).use { flow ->
                flow.start()
                flow.sheetPresented()
                assertThrows(FinConnException.InvalidState::class.java) { runBlocking { flow.sheetPresented() } }
                assertEquals(FlowPhase.PRESENTING, flow.phase())
            }
        }
    }

    @Test
    fun loggerReceivesTheCoreLogsWithoutSecrets() = runBlocking<Unit> {
        val lines = Collections.synchronizedList(mutableListOf<String>())
        setLogger(
            object : Logger {
                override fun log(level: LogLevel, target: String, message: String) {
                    lines.add("$level $target $message")
                }
            },
            LogLevel.TRACE,
        )
        try {
            newClient().use { client ->
                client.newFlow(options()).use { flow ->
                    val sheet = flow.start()
                    flow.sheetPresented()
                    sim.completeSheet(sheet.sessionId(), "success_one")
                    flow.sheetResult(SheetResult.Completed)
                    assertTrue("the core logged the flow: $lines", lines.snapshot().any { it.contains("flow phase changed") })
                    assertTrue(lines.snapshot().none { it.contains(sheet.clientSecret()) || it.contains(sheet.publishableKey()) })
                }
            }
        } finally {
            clearLogger()
        }
    }

    /** FlowClientConfig for the simulator with a short timeout. */
    private fun shortConfig(requestTimeoutMs: Long, maxAttempts: Int) =
        FlowClientConfig(
            backendUrl = sim.backendUrl(),
            returnUrls = listOf(RETURN_URL),
            androidAppId = APP_ID,
            dataDir = dataDir.path,
            stripeApiUrl = sim.backendUrl(),
            requestTimeoutMs = requestTimeoutMs,
            maxAttempts = maxAttempts,
        )

    /** The Timeout `block` must throw (caught in this coroutine: no nested runBlocking). */
    private suspend fun timeoutOf(block: suspend () -> Unit): FinConnException.Timeout {
        try {
            block()
        } catch (e: FinConnException.Timeout) {
            return e
        }
        throw AssertionError("expected FinConnException.Timeout")
    }

    /** Milliseconds since `started` (System.nanoTime()). */
    private fun msSince(started: Long) = (System.nanoTime() - started) / 1_000_000

    @Test
    fun headersProviderBlockingThreeSecondsCannotStretchA300msCall() = runBlocking<Unit> {
        val calls = AtomicInteger()
        val blocking =
            object : HeadersProvider {
                override fun headers(): Map<String, String> {
                    calls.incrementAndGet()
                    Thread.sleep(3_000)
                    return mapOf("Authorization" to "Bearer kotlin-user")
                }
            }
        // Another coroutine on this very thread: it must keep running while start() waits (the
        // provider used to be called on the thread polling the call, and starve it).
        val ticks = AtomicInteger()
        val ticker =
            launch {
                while (isActive) {
                    delay(10)
                    ticks.incrementAndGet()
                }
            }
        try {
            // One attempt: its deadline is the 300 ms timeout plus a 200 ms grace.
            FlowClient.open(shortConfig(300L, 1), blocking).use { client ->
                client.newFlow(options()).use { flow ->
                    val started = System.nanoTime()
                    val e = timeoutOf { flow.start() }
                    val ms = msSince(started)
                    println("start() with a headers provider blocking 3 s, 300 ms timeout, 1 attempt: $ms ms")
                    assertTrue("one attempt took $ms ms", ms < 1_000)
                    assertTrue(e.message, e.message.contains("headers provider"))
                    assertEquals(FlowPhase.CREATING_SESSION, flow.phase())
                }
            }
            val ticksDuringOne = ticks.get()
            // Two attempts: two deadlines and one backoff (at most 200 ms), never 2 x 3 s.
            FlowClient.open(shortConfig(300L, 2), blocking).use { client ->
                client.newFlow(options()).use { flow ->
                    val started = System.nanoTime()
                    timeoutOf { flow.start() }
                    val ms = msSince(started)
                    println("start() with a headers provider blocking 3 s, 300 ms timeout, 2 attempts: $ms ms")
                    assertTrue("two attempts took $ms ms", ms < 1_800)
                }
            }
            assertTrue("this thread was starved: $ticksDuringOne ticks", ticksDuringOne >= 10)
            // Nothing was sent without headers, and the stuck provider was not called again
            // while it was stuck: one call per client.
            assertEquals(0, sim.requests("create_session"))
            assertEquals(2, calls.get())
        } finally {
            ticker.cancel()
        }
    }

    @Test
    fun blockingListenerCannotStallAFlow() = runBlocking<Unit> {
        val events = Collections.synchronizedList(mutableListOf<FlowEvent>())
        val stuck = AtomicBoolean(false)
        newClient().use { client ->
            client.addListener(
                object : FlowListener {
                    override fun onEvent(event: FlowEvent) {
                        // A listener that blocks 3 s on its first event (a UI hop gone wrong).
                        if (!stuck.getAndSet(true)) Thread.sleep(3_000)
                        events.add(event)
                    }
                },
            )
            client.newFlow(options()).use { flow ->
                val started = System.nanoTime()
                val sheet = flow.start()
                val sync = System.nanoTime()
                flow.sheetPresented()
                repeat(20) { flow.recordStripeEvent("event_$it", emptyMap()) }
                val syncMs = msSince(sync)
                sim.completeSheet(sheet.sessionId(), "success_one")
                val result = flow.sheetResult(SheetResult.Completed)
                val ms = msSince(started)
                println("a flow with a listener blocking 3 s: $ms ms (sheetPresented + 20 events: $syncMs ms)")
                assertEquals(FlowStatus.COMPLETED, result.status)
                assertTrue("the flow took $ms ms", ms < 1_500)
                assertTrue("sheetPresented and 20 events took $syncMs ms", syncMs < 1_000)
            }
            // Once unblocked, the listener gets every event, in order.
            val until = System.nanoTime() + 10_000_000_000
            while (events.snapshot().none { it is FlowEvent.Finished } && System.nanoTime() < until) delay(20)
            val phases = events.snapshot().filterIsInstance<FlowEvent.PhaseChanged>().map { it.to }
            assertEquals(
                listOf(FlowPhase.CREATING_SESSION, FlowPhase.READY, FlowPhase.PRESENTING, FlowPhase.RECONCILING, FlowPhase.COMPLETED),
                phases,
            )
            val names = events.snapshot().filterIsInstance<FlowEvent.StripeEvent>().map { it.name }
            assertEquals((0 until 20).map { "event_$it" }, names)
            assertEquals(0L, client.droppedEvents())
        }
    }

    @Test
    fun blockingLoggerCannotStallAFlow() = runBlocking<Unit> {
        val lines = Collections.synchronizedList(mutableListOf<String>())
        val stuck = AtomicBoolean(false)
        setLogger(
            object : Logger {
                override fun log(level: LogLevel, target: String, message: String) {
                    if (!stuck.getAndSet(true)) Thread.sleep(3_000)
                    lines.add(message)
                }
            },
            LogLevel.TRACE,
        )
        try {
            newClient().use { client ->
                client.newFlow(options()).use { flow ->
                    val started = System.nanoTime()
                    val sheet = flow.start()
                    flow.sheetPresented()
                    sim.completeSheet(sheet.sessionId(), "success_one")
                    val result = flow.sheetResult(SheetResult.Completed)
                    val ms = msSince(started)
                    println("a flow with a logger blocking 3 s: $ms ms")
                    assertEquals(FlowStatus.COMPLETED, result.status)
                    assertTrue("the flow took $ms ms", ms < 1_500)
                }
            }
            // Once unblocked, the logger gets the flow's lines (the next test's logger must not
            // queue behind this one).
            val until = System.nanoTime() + 10_000_000_000
            while (lines.snapshot().none { it.contains("flow phase changed") } && System.nanoTime() < until) delay(20)
            assertTrue("the lines arrived: $lines", lines.snapshot().any { it.contains("flow phase changed") })
        } finally {
            clearLogger()
        }
    }

    /**
     * A headers provider that throws (the user signed out): the call fails typed, nothing is
     * sent, and the provider's reason (which may hold anything) is not in the error.
     */
    @Test
    fun aHeadersProviderThatThrowsSendsNothingAndIsTyped() = runBlocking<Unit> {
        val secretReason = "signed out; refresh token rt-private-4242 expired"
        val throwing =
            object : HeadersProvider {
                override fun headers(): Map<String, String> = throw CallbackException.Failed(secretReason)
            }
        FlowClient.open(shortConfig(5_000L, 3), throwing).use { client ->
            client.newFlow(options()).use { flow ->
                try {
                    val sheet = flow.start()
                    throw AssertionError("a start without headers succeeded: $sheet")
                } catch (e: FinConnException.InvalidConfiguration) {
                    assertTrue(e.reason, e.reason.contains("headers provider"))
                    assertFalse(e.toString(), e.toString().contains(secretReason))
                }
                // No headers is not a passing fault: the flow ends failed (a new one starts over).
                assertEquals(FlowPhase.FAILED, flow.phase())
            }
        }
        assertEquals("a request went out without headers", 0, sim.requests("create_session"))
    }

    /**
     * A listener and a logger that throw on everything (any exception, not only
     * CallbackException): the flow completes, and a well-behaved listener gets every event.
     */
    @Test
    fun aListenerAndALoggerThatThrowStallNothing() = runBlocking<Unit> {
        setLogger(
            object : Logger {
                override fun log(level: LogLevel, target: String, message: String) = throw IllegalStateException("disk full")
            },
            LogLevel.TRACE,
        )
        try {
            newClient().use { client ->
                client.addListener(
                    object : FlowListener {
                        override fun onEvent(event: FlowEvent) = throw IllegalStateException("listener bug")
                    },
                )
                val events = Collections.synchronizedList(mutableListOf<FlowEvent>())
                client.addListener(
                    object : FlowListener {
                        override fun onEvent(event: FlowEvent) {
                            events.add(event)
                        }
                    },
                )
                val result = runFlow(client, "success_one")
                assertEquals(FlowStatus.COMPLETED, result.status)
                val phases = events.snapshot().filterIsInstance<FlowEvent.PhaseChanged>().map { it.to }
                assertEquals(
                    listOf(FlowPhase.CREATING_SESSION, FlowPhase.READY, FlowPhase.PRESENTING, FlowPhase.RECONCILING, FlowPhase.COMPLETED),
                    phases,
                )
                assertEquals(1, sim.reportsReceived(result.sessionId!!))
            }
        } finally {
            clearLogger()
        }
    }

    /** Wraps the platform transport and keeps what a careless host transport would log. */
    private class LoggingTransport : HttpTransport {
        private val inner = PlatformHttpTransport()
        val printed = Collections.synchronizedList(mutableListOf<String>())

        override suspend fun send(request: HttpRequest): HttpResponse {
            printed.add("request $request ${request.urlForLogs()} ${request.headerNames()}")
            val response = inner.send(request)
            printed.add("response $response ${response.status()}")
            return response
        }
    }

    @Test
    fun everyValueAFlowReturnsPrintsNoSecret() = runBlocking<Unit> {
        val printed = mutableListOf<String>()
        val events = Collections.synchronizedList(mutableListOf<FlowEvent>())
        val transport = LoggingTransport()
        val config =
            FlowClientConfig(
                backendUrl = sim.backendUrl(),
                returnUrls = listOf(RETURN_URL),
                androidAppId = APP_ID,
                dataDir = dataDir.path,
                stripeApiUrl = sim.backendUrl(),
                requestTimeoutMs = 5_000L,
            )
        val secrets = mutableListOf<String>()
        FlowClient.open(config, userToken, transport).use { client ->
            printed.add(client.toString())
            client.addListener(
                object : FlowListener {
                    override fun onEvent(event: FlowEvent) {
                        events.add(event)
                    }
                },
            )
            client.newFlow(options()).use { flow ->
                printed.add(flow.toString())
                val sheet = flow.start()
                secrets += listOf(sheet.clientSecret(), sheet.publishableKey())
                secrets += listOfNotNull(sim.reportToken(sheet.sessionId()))
                printed.add(sheet.toString())
                printed.add("$sheet")
                flow.sheetPresented()
                val done = sim.completeSheet(sheet.sessionId(), "success_three")
                printed.add(flow.handleUrl(done.redirectUrl!!).toString())
                val result = flow.sheetResult(SheetResult.Completed)
                printed.add(result.toString())
                result.accounts.forEach { printed.add(it.toString()) }
                printed.add(flow.result().toString())
                printed.add(flow.phase().toString())
            }
            printed.add(client.listAccounts().toString())
            printed.add(client.checkUrl("$RETURN_URL?status=success").toString())
            printed.add(client.sendPendingReports().toString())
            printed.add(client.resumePending().toString())
            val failing = client.newFlow(options())
            sim.pushFault("create_session", "status:400", 1)
            try {
                failing.start()
            } catch (e: FinConnException) {
                printed.add(e.toString())
                printed.add(e.message ?: "")
            }
        }
        printed += events.map { it.toString() }
        printed += transport.printed
        assertEquals(3, secrets.size)
        assertTrue("the walk saw values", printed.size > 20)
        for (text in printed) {
            for (secret in secrets) {
                assertFalse("a toString() shows a secret: $text", text.contains(secret))
            }
        }
        // The object's toString is the class and a handle, never a field.
        assertTrue(printed.any { it.startsWith("io.finconn.SheetConfiguration@") })
    }

    @Test
    fun resumePendingFindsTheFlowOfAKilledProcess() = runBlocking<Unit> {
        val sessionId: String
        newClient().use { client ->
            client.newFlow(options()).use { flow ->
                sessionId = flow.start().sessionId()
                flow.sheetPresented()
                flow.userLeftApp()
            }
        } // the process dies: no snapshot kept by the app, the core has it
        val done = sim.completeSheet(sessionId, "success_one")
        newClient().use { client ->
            val recovery = client.resumePending()
            assertEquals(1, recovery.finished.size)
            assertTrue(recovery.waiting.isEmpty())
            val result = recovery.finished.single()
            assertEquals(FlowStatus.COMPLETED, result.status)
            assertEquals(done.accountIds, result.accounts.map(Account::id))
            assertEquals(0, client.resumePending().finished.size)
        }
        assertEquals(1, sim.reportsReceived(sessionId))
        assertTrue("settled: no file left", dataDir.walkTopDown().none { it.isFile })
    }

    /** A FIFO at [path] (`mkfifo(1)`): opening it for reading blocks until a writer comes. */
    private fun mkfifo(path: File) {
        path.parentFile.mkdirs()
        val status = ProcessBuilder("mkfifo", path.path).inheritIO().start().waitFor()
        assertEquals("mkfifo ${path.path}", 0, status)
        val attributes = Files.readAttributes(path.toPath(), BasicFileAttributes::class.java, LinkOption.NOFOLLOW_LINKS)
        assertTrue("${path.path} is a FIFO", attributes.isOther)
    }

    /**
     * Runs [block] on a thread of its own and fails if it has not returned within [seconds]: a
     * thread blocked in a native `open` cannot be interrupted, so it is left behind (daemon).
     */
    private fun <T> within(seconds: Long, block: () -> T): T {
        val executor = Executors.newSingleThreadExecutor { r -> Thread(r).apply { isDaemon = true } }
        try {
            return executor.submit(Callable { block() }).get(seconds, TimeUnit.SECONDS)
        } catch (e: TimeoutException) {
            throw AssertionError("still blocked after $seconds s: the launch hangs")
        } catch (e: ExecutionException) {
            throw e.cause ?: e
        } finally {
            executor.shutdownNow()
        }
    }

    /**
     * The flows directory refuses writes, the way the system does it even for root: a regular
     * file where the directory was (every create and removal under it fails with ENOTDIR).
     * Returns the repair.
     */
    private fun refuseFlowWrites(): () -> Unit {
        val flows = File(dataDir, "finconn-flows")
        val away = File(dataDir, "finconn-flows.away")
        assertTrue(flows.renameTo(away))
        flows.writeText("not a directory")
        return {
            assertTrue(flows.delete())
            assertTrue(away.renameTo(flows))
        }
    }

    @Test
    fun aFifoInTheDataDirectoryHangsNeitherTheClientNorResumePending() {
        val id = "0".repeat(31) + "7"
        val fifos =
            listOf(
                File(dataDir, "finconn-outbox/.report-fcidem_a-complete.json.1.0123456789abcdef.tmp"),
                File(dataDir, "finconn-outbox/report-fcidem_$id-complete.json"),
                File(dataDir, "finconn-flows/.flow-flow_a.json.1.0123456789abcdef.tmp"),
                File(dataDir, "finconn-flows/flow-flow_$id.json"),
            )
        fifos.forEach(::mkfifo)
        for (launch in 1..2) {
            val started = System.nanoTime()
            val (recovery, again) =
                within(20) {
                    runBlocking {
                        newClient().use { client -> client.resumePending() to client.sendPendingReports() }
                    }
                }
            val tookMs = (System.nanoTime() - started) / 1_000_000
            assertTrue("launch $launch took $tookMs ms", tookMs < 5_000)
            // Not the library's files: never opened, never counted.
            assertTrue(recovery.finished.isEmpty())
            assertTrue(recovery.waiting.isEmpty())
            assertEquals(0, recovery.quarantined)
            assertEquals(OutboxSummary(0, 0, 0, 0), recovery.reports)
            assertEquals(OutboxSummary(0, 0, 0, 0), again)
        }
        assertTrue("left alone", fifos.all { Files.exists(it.toPath(), LinkOption.NOFOLLOW_LINKS) })
    }

    @Test
    fun aDataDirectoryThatRefusesWritesThrowsStorageAndTheSameCallsAgainReportOnce() = runBlocking<Unit> {
        newClient().use { client ->
            client.newFlow(options()).use { flow ->
                var repair = refuseFlowWrites()
                val e = assertThrows(FinConnException.Storage::class.java) { runBlocking { flow.start() } }
                assertTrue(e.reason, e.reason.startsWith("storage: "))
                assertFalse("no path in ${e.reason}", e.reason.contains(dataDir.path))
                assertEquals(FlowPhase.IDLE, flow.phase())
                assertEquals("nothing sent", 0, sim.requests("create_session"))
                repair()
                val sheet = flow.start()

                repair = refuseFlowWrites()
                assertThrows(FinConnException.Storage::class.java) { runBlocking { flow.sheetPresented() } }
                assertEquals(FlowPhase.READY, flow.phase())
                repair()
                flow.sheetPresented()
                flow.userLeftApp()
                val done = sim.completeSheet(sheet.sessionId(), "success_one")
                assertTrue(flow.handleUrl(done.redirectUrl!!).recorded)

                repair = refuseFlowWrites()
                assertThrows(FinConnException.Storage::class.java) { runBlocking { flow.sheetResult(SheetResult.Completed) } }
                assertEquals(FlowPhase.PRESENTING, flow.phase())
                assertEquals("nothing reported", 0, sim.reportsReceived(sheet.sessionId()))
                repair()
                val result = flow.sheetResult(SheetResult.Completed)
                assertEquals(FlowStatus.COMPLETED, result.status)
                assertEquals(done.accountIds, result.accounts.map(Account::id))
                assertEquals(1, sim.sessionsCreated())
                assertEquals(1, sim.reportsReceived(sheet.sessionId()))
            }
        }
        assertTrue("settled: no file left", dataDir.walkTopDown().none { it.isFile })
    }

    @Test
    fun aStorageFailureBeforeAKillStillGivesTheSessionOneReportAtTheNextLaunch() = runBlocking<Unit> {
        val sessionId: String
        val repair: () -> Unit
        newClient().use { client ->
            client.newFlow(options()).use { flow ->
                sessionId = flow.start().sessionId()
                repair = refuseFlowWrites()
                assertThrows(FinConnException.Storage::class.java) { runBlocking { flow.sheetPresented() } }
                assertEquals(FlowPhase.READY, flow.phase())
            }
        } // the process dies; the disk recovers before the next launch
        val done = sim.completeSheet(sessionId, "success_one")
        repair()
        newClient().use { client ->
            val recovery = client.resumePending()
            assertEquals(1, recovery.finished.size)
            val result = recovery.finished.single()
            assertEquals(FlowStatus.COMPLETED, result.status)
            assertEquals(done.accountIds, result.accounts.map(Account::id))
        }
        assertEquals(1, sim.sessionsCreated())
        assertEquals(1, sim.reportsReceived(sessionId))
        assertTrue("settled: no file left", dataDir.walkTopDown().none { it.isFile })
    }
}
