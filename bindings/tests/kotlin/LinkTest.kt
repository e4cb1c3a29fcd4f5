// `FlowClient.link` driven by a fake SheetPresenter on the JVM against the real library and the
// loopback simulator: success, a cancel, a sheet failure, a presenter that cannot show the sheet,
// the user leaving for the bank and the deep link coming back through `FlowClient.handleUrl`, a
// temporary backend error, and the process killed in every phase the link passes (the
// relaunch's one `resumePending()` finishes the flow: one session, one report). The Swift twin is
// bindings/swift/Tests/FinConnTests/LinkTests.swift.
package io.finconn.tests

import io.finconn.CallbackException
import io.finconn.FlowClient
import io.finconn.FlowClientConfig
import io.finconn.FlowListener
import io.finconn.HeadersProvider
import io.finconn.LinkEvents
import io.finconn.Permission
import io.finconn.SessionOptions
import io.finconn.SheetConfiguration
import io.finconn.SheetPresenter
import io.finconn.SheetResult
import io.finconn.TestSimulator
import io.finconn.core.FinConnException
import io.finconn.core.FlowEvent
import io.finconn.core.FlowPhase
import io.finconn.core.FlowStatus
import io.finconn.open
import java.util.Collections
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test

private const val LINK_RETURN_URL = "finconn-test://stripe-redirect"

/** What the fake sheet does once presented. */
private enum class Sheet { LINKS, CANCELS, FAILS, CANNOT_PRESENT, DIES_PRESENTING, DIES_AT_THE_BANK }

/** The platform's sheet, faked: the simulator plays the user at the bank. */
private class FakePresenter(
    private val sim: TestSimulator,
    private val client: FlowClient,
    private val sheet: Sheet,
) : SheetPresenter {
    val sessions: MutableList<String> = Collections.synchronizedList(mutableListOf())
    val reached = CompletableDeferred<Unit>()

    override suspend fun present(configuration: SheetConfiguration, events: LinkEvents): SheetResult {
        sessions.add(configuration.sessionId())
        when (sheet) {
            Sheet.CANNOT_PRESENT -> throw CallbackException.Failed("no activity to present from")
            Sheet.DIES_PRESENTING -> {
                reached.complete(Unit)
                awaitCancellation()
            }
            else -> {}
        }
        events.recordStripeEvent("open", mapOf("source" to "fake"))
        events.userLeftApp()
        if (sheet == Sheet.DIES_AT_THE_BANK) {
            reached.complete(Unit)
            awaitCancellation()
        }
        if (sheet == Sheet.FAILS) return SheetResult.Failed("unexpected_error")
        val institution = if (sheet == Sheet.CANCELS) "oauth_canceled" else "success_three"
        val done = sim.completeSheet(configuration.sessionId(), institution)
        done.redirectUrl?.let {
            val handled = client.handleUrl(it)
            assertTrue(handled.toString(), handled.isFlowUrl && handled.recorded)
        }
        return when (done.outcome) {
            "completed" -> SheetResult.Completed
            "canceled" -> SheetResult.Canceled
            else -> SheetResult.Failed(done.errorCode ?: "unexpected_error")
        }
    }
}

class LinkTest : SimulatorFixture("finconn-kotlin-link") {
    private val userToken =
        object : HeadersProvider {
            override fun headers(): Map<String, String> = mapOf("Authorization" to "Bearer kotlin-user")
        }

    private suspend fun newClient(maxAttempts: Int = 4): FlowClient =
        FlowClient.open(
            FlowClientConfig(
                backendUrl = sim.backendUrl(),
                returnUrls = listOf(LINK_RETURN_URL),
                dataDir = dataDir.path,
                stripeApiUrl = sim.backendUrl(),
                requestTimeoutMs = 5_000L,
                maxAttempts = maxAttempts,
            ),
            userToken,
        )

    private fun options() =
        SessionOptions(permissions = listOf(Permission.BALANCES, Permission.PAYMENT_METHOD), returnUrl = LINK_RETURN_URL)

    @Test
    fun linkDrivesAWholeFlowToOneSessionAndOneReport() = runBlocking<Unit> {
        newClient().use { client ->
            val events = Collections.synchronizedList(mutableListOf<FlowEvent>())
            client.addListener(
                object : FlowListener {
                    override fun onEvent(event: FlowEvent) {
                        events.add(event)
                    }
                },
            )
            val result = client.link(options(), FakePresenter(sim, client, Sheet.LINKS))
            assertEquals(FlowStatus.COMPLETED, result.status)
            assertEquals(3, result.accounts.size)
            assertEquals(1, sim.sessionsCreated())
            assertEquals(1, sim.reportsReceived(result.sessionId!!))
            val seen = synchronized(events) { events.toList() }
            val phases = seen.filterIsInstance<FlowEvent.PhaseChanged>().map { it.to }
            assertTrue(phases.toString(), FlowPhase.AWAITING_RETURN in phases)
            assertTrue(seen.any { it is FlowEvent.StripeEvent && it.name == "open" })
        }
    }

    @Test
    fun aCancelAndASheetFailureEndTheFlowWithTheirStatus() = runBlocking<Unit> {
        newClient().use { client ->
            val canceled = client.link(options(), FakePresenter(sim, client, Sheet.CANCELS))
            assertEquals(FlowStatus.CANCELED, canceled.status)
            assertTrue(canceled.accounts.isEmpty())
            val failed = client.link(options(), FakePresenter(sim, client, Sheet.FAILS))
            assertEquals(FlowStatus.FAILED, failed.status)
            for (result in listOf(canceled, failed)) {
                assertEquals(1, sim.reportsReceived(result.sessionId!!))
            }
        }
    }

    @Test
    fun aPresenterThatCannotShowTheSheetCancelsTheFlow() = runBlocking<Unit> {
        newClient().use { client ->
            val presenter = FakePresenter(sim, client, Sheet.CANNOT_PRESENT)
            val e = try {
                client.link(options(), presenter)
                throw AssertionError("link returned")
            } catch (e: FinConnException) {
                e
            }
            assertEquals("other", e.code())
            assertFalse("the host's reason is never shown", e.toString().contains("no activity"))
            assertEquals(1, sim.reportsReceived(presenter.sessions.single()))
        }
    }

    @Test
    fun aTemporaryBackendErrorIsRetriedWithinABound() = runBlocking<Unit> {
        newClient(maxAttempts = 2).use { client ->
            sim.pushFault("create_session", "status:503", 2)
            val result = client.link(options(), FakePresenter(sim, client, Sheet.LINKS))
            assertEquals(FlowStatus.COMPLETED, result.status)
            assertEquals(1, sim.sessionsCreated())
        }
    }

    /** Kills the process while `link` is in a phase; the relaunch's `resumePending()` ends it. */
    private fun killAndRelaunch(sheet: Sheet, bankFinishes: Boolean, expect: FlowStatus) = runBlocking<Unit> {
        val presenterSessions: List<String>
        newClient().use { client ->
            val presenter = FakePresenter(sim, client, sheet)
            val link = async { client.link(options(), presenter) }
            withTimeout(30_000) { presenter.reached.await() }
            link.cancelAndJoin() // the process dies here
            presenterSessions = presenter.sessions.toList()
        }
        if (bankFinishes) sim.completeSheet(presenterSessions.single(), "success_one")
        newClient().use { client ->
            val recovery = client.resumePending()
            val again = client.resumePending()
            assertTrue("the launch step is idempotent", again.finished.isEmpty() && again.waiting.isEmpty())
            val result = recovery.finished.single()
            assertEquals(expect, result.status)
            if (bankFinishes) assertEquals(1, result.accounts.size)
            assertEquals(1, sim.reportsReceived(result.sessionId!!))
        }
        assertEquals(1, sim.sessionsCreated())
    }

    @Test
    fun killedWhileTheSheetIsUp() = killAndRelaunch(Sheet.DIES_PRESENTING, bankFinishes = false, expect = FlowStatus.CANCELED)

    @Test
    fun killedWhileTheUserIsAtTheBankWhoThenFinishesThere() =
        killAndRelaunch(Sheet.DIES_AT_THE_BANK, bankFinishes = true, expect = FlowStatus.COMPLETED)

    @Test
    fun killedWhileCreatingTheSessionOrReconcilingLosesNothing() = runBlocking<Unit> {
        // Creating the session: the answer comes after the process died.
        sim.pushFault("create_session", "delay_ms:1500", 1)
        newClient().use { client ->
            val link = async { client.link(options(), FakePresenter(sim, client, Sheet.LINKS)) }
            kotlinx.coroutines.delay(500)
            link.cancelAndJoin()
        }
        newClient().use { client ->
            val recovery = client.resumePending()
            for (result in recovery.finished) {
                assertEquals(FlowStatus.CANCELED, result.status)
                result.sessionId?.let { assertEquals(1, sim.reportsReceived(it)) }
            }
        }
        // Reconciling: the report is queued, the backend too slow to answer before the kill.
        sim.pushFault("complete", "delay_ms:1500", 1)
        var session: String? = null
        newClient().use { client ->
            val presenter = FakePresenter(sim, client, Sheet.LINKS)
            val link = async { client.link(options(), presenter) }
            kotlinx.coroutines.delay(1_000)
            link.cancelAndJoin()
            session = presenter.sessions.lastOrNull()
        }
        newClient().use { client ->
            client.resumePending()
        }
        assertEquals(1, sim.reportsReceived(session!!))
    }

    @Test
    fun aDeepLinkWithNoFlowWaitingIsClassifiedNotRecorded() = runBlocking<Unit> {
        newClient().use { client ->
            val handled = client.handleUrl("$LINK_RETURN_URL?status=success")
            assertTrue(handled.isFlowUrl)
            assertFalse(handled.recorded)
            assertFalse(client.handleUrl("finconn-test://stripe-redirect.evil.example/?status=success").isFlowUrl)
        }
    }

    @Test
    fun theSetupSelfCheckNamesWhatToFix() = runBlocking<Unit> {
        newClient().use { client ->
            val findings = client.checkSetup()
            // The simulator is plain http on loopback: fine for development, flagged for a release.
            assertEquals(listOf("backend_https"), findings.filter { !it.passed }.map { it.code })
            assertTrue(findings.any { it.code == "data_dir_writable" && it.passed })
        }
    }
}
