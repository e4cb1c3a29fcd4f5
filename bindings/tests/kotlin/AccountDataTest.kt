// JVM tests of the account-data API through the generated bindings and the Kotlin transport:
// refreshes that finish asynchronously, too soon, failed, inactive, a permission never granted,
// owners and transactions across pages, an incremental sync seeing pending -> posted and a void,
// and duplicate accounts. Mirrors core/tests/account_data.rs; the Swift twin is
// bindings/swift/Tests/FinConnTests/AccountDataTests.swift.
//
// Then a lying backend (finconn_testkit::LYING_CASES, exported by the `testing` build as
// lyingCases() and TestLyingServer), as core/tests/lying_backend.rs runs it on the Rust transport:
// a page larger than the limit, the total cap and its continuation, alternating pages, refresh's
// overall deadline, and the whole table. Each asserts what must not happen: a request beyond the
// bound, a result over the cap, a call outliving its deadline, a planted value reaching the app.
package io.finconn.tests

import io.finconn.AccountAction
import io.finconn.core.FeatureOutcome
import io.finconn.core.FinConnException
import io.finconn.FlowClient
import io.finconn.FlowClientConfig
import io.finconn.FlowResult
import io.finconn.core.FlowStatus
import io.finconn.HeadersProvider
import io.finconn.Permission
import io.finconn.core.DataFeature
import io.finconn.RefreshReport
import io.finconn.RelinkReason
import io.finconn.SessionOptions
import io.finconn.SheetResult
import io.finconn.TestLyingCase
import io.finconn.TestLyingServer
import io.finconn.TestSimulator
import io.finconn.TransactionStatus
import io.finconn.lyingCases
import io.finconn.open
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

private const val DATA_RETURN_URL = "finconn-test://stripe-redirect"
private val ALL_FEATURES = listOf(DataFeature.BALANCES, DataFeature.OWNERSHIP, DataFeature.TRANSACTIONS)

class AccountDataTest : SimulatorFixture("finconn-kotlin-data") {
    private val user =
        object : HeadersProvider {
            override fun headers(): Map<String, String> = mapOf("Authorization" to "Bearer kotlin-data-user")
        }

    private suspend fun client(): FlowClient =
        FlowClient.open(
            FlowClientConfig(
                backendUrl = sim.backendUrl(),
                returnUrls = listOf(DATA_RETURN_URL),
                dataDir = dataDir.path,
                stripeApiUrl = sim.backendUrl(),
                requestTimeoutMs = 5_000L,
                refreshDeadlineMs = 5_000L,
            ),
            user,
        )

    private suspend fun link(client: FlowClient, institution: String): FlowResult =
        client
            .newFlow(
                SessionOptions(
                    permissions = listOf(Permission.BALANCES, Permission.OWNERSHIP, Permission.TRANSACTIONS),
                    returnUrl = DATA_RETURN_URL,
                ),
            ).use { flow ->
                val sheet = flow.start()
                flow.sheetPresented()
                sim.completeSheet(sheet.sessionId(), institution)
                val result = flow.sheetResult(SheetResult.Completed)
                assertEquals(FlowStatus.COMPLETED, result.status)
                result
            }

    private fun outcome(report: RefreshReport, feature: DataFeature): FeatureOutcome =
        report.features.single { it.feature == feature }.outcome

    @Test
    fun aRefreshWaitsForStripeAndTooSoonIsAnsweredWithoutACall() = runBlocking<Unit> {
        client().use { client ->
            val account = link(client, "data_bank").accounts.first()
            assertNull("no prefetch, no balance yet", account.balance)
            val report = client.refresh(account.id, ALL_FEATURES)
            ALL_FEATURES.forEach { assertEquals(FeatureOutcome.Succeeded, outcome(report, it)) }
            assertNull(report.action)
            val balance = report.account.balance
            assertNotNull("a balance after the refresh", balance)
            assertTrue(balance!!.current.isNotEmpty() && balance.current.all { it.amountMinor != 0L })
            assertTrue("the account was polled", sim.requests("account") >= 2)
            val first = report.features.single { it.feature == DataFeature.BALANCES }
            val refreshes = sim.requests("refresh")
            val again = client.refresh(account.id, listOf(DataFeature.BALANCES))
            assertEquals(FeatureOutcome.TooSoon(first.nextRefreshAvailableAtUnixSeconds!!), outcome(again, DataFeature.BALANCES))
            assertEquals("nothing sent", refreshes, sim.requests("refresh"))
        }
    }

    @Test
    fun failedInactiveAndUnpermittedAccountsComeBackTyped() = runBlocking<Unit> {
        client().use { client ->
            val failing = link(client, "refresh_fails_bank").accounts.first()
            val failed = client.refresh(failing.id, ALL_FEATURES)
            assertTrue(failed.features.all { it.outcome == FeatureOutcome.Failed })
            assertNull(failed.action)

            val inactive = link(client, "goes_inactive_bank").accounts.first()
            val report = client.refresh(inactive.id, ALL_FEATURES)
            assertTrue(report.features.all { it.outcome == FeatureOutcome.Failed })
            assertEquals(AccountAction.RelinkRequired(inactive.authorization, RelinkReason.Inactive), report.action)
            assertNull(report.account.balance)

            val noTxn = link(client, "no_transactions_bank").accounts.first()
            val before = sim.requests("transactions")
            val partial = client.refresh(noTxn.id, ALL_FEATURES)
            assertEquals(FeatureOutcome.Succeeded, outcome(partial, DataFeature.BALANCES))
            assertEquals(FeatureOutcome.NotPermitted, outcome(partial, DataFeature.TRANSACTIONS))
            val missing = AccountAction.RelinkRequired(noTxn.authorization, RelinkReason.MissingPermissions(listOf(Permission.TRANSACTIONS)))
            assertEquals(missing, partial.action)
            val sync = client.syncTransactions(noTxn.id, null)
            assertTrue(sync.transactions.isEmpty())
            assertEquals(missing, sync.action)
            assertEquals("nothing read without the permission", before, sim.requests("transactions"))
        }
    }

    @Test
    fun ownersAndTransactionsAreReadAcrossPages() = runBlocking<Unit> {
        client().use { client ->
            val accounts = link(client, "data_bank").accounts
            var paged = false
            var manyOwners = false
            for (account in accounts) {
                client.refresh(account.id, ALL_FEATURES)
                val owners = client.owners(account.id).owners
                assertEquals("every owner once", owners.size, owners.map { it.id }.toSet().size)
                manyOwners = manyOwners || owners.size > 10
                val sync = client.syncTransactions(account.id, null)
                assertEquals(sim.transactionsHeld(account.id), sync.transactions.size)
                paged = paged || sync.pages > 1
                assertTrue(sync.cursor!!.startsWith("fctxnref_"))
            }
            assertTrue("more than one page of transactions", paged)
            assertTrue("more than one page of owners", manyOwners)
        }
    }

    @Test
    fun anIncrementalSyncSeesNewPostedAndVoidedTransactions() = runBlocking<Unit> {
        sim.setRefreshCooldownMs(0L)
        client().use { client ->
            val id = link(client, "data_bank").accounts.first().id
            client.refresh(id, listOf(DataFeature.TRANSACTIONS))
            val first = client.syncTransactions(id, null)
            val pending = first.transactions.filter { it.status == TransactionStatus.Pending }.map { it.id }.toSet()
            assertTrue(pending.isNotEmpty())
            val report = client.refresh(id, listOf(DataFeature.TRANSACTIONS))
            assertEquals(FeatureOutcome.Succeeded, outcome(report, DataFeature.TRANSACTIONS))
            val second = client.syncTransactions(id, first.cursor)
            assertNotEquals(first.cursor, second.cursor)
            val known = first.transactions.map { it.id }.toSet()
            assertTrue("new", second.transactions.any { it.id !in known })
            assertTrue("pending -> posted", second.transactions.any { it.id in pending && it.status == TransactionStatus.Posted })
            assertTrue("voided", second.transactions.any { it.id in pending && it.status == TransactionStatus.Void })
            val ledger = (first.transactions + second.transactions).associateBy { it.id }
            assertEquals(sim.transactionsHeld(id), ledger.size)
            assertTrue(client.syncTransactions(id, second.cursor).transactions.isEmpty())
            // Money is integer minor units with a currency.
            assertTrue(ledger.values.all { it.amount.currency == "usd" })
        }
    }

    @Test
    fun linkingTheSameBankTwiceFlagsTheDuplicates() = runBlocking<Unit> {
        client().use { client ->
            val first = link(client, "data_bank")
            assertTrue(first.duplicates.isEmpty())
            val second = link(client, "data_bank")
            assertEquals(second.accounts.size, second.duplicates.size)
            for (d in second.duplicates) {
                assertTrue(first.accounts.any { it.id == d.duplicateOf })
                assertTrue(second.accounts.any { it.id == d.accountId })
            }
            val id = second.accounts.first().id
            assertTrue(client.subscribe(id, listOf(DataFeature.TRANSACTIONS)).subscriptions.contains("transactions"))
            assertTrue(client.unsubscribe(id, listOf(DataFeature.TRANSACTIONS)).subscriptions.isEmpty())
        }
    }

    // ---- the lying backend -----------------------------------------------------------------

    private fun lyingCase(name: String): TestLyingCase = lyingCases().single { it.name == name }

    /** A client of [server] on the Kotlin transport (PlatformHttpTransport) with [case]'s deadlines. */
    private suspend fun lyingClient(server: TestLyingServer, case: TestLyingCase): FlowClient =
        FlowClient.open(
            FlowClientConfig(
                backendUrl = server.backendUrl(),
                returnUrls = listOf(DATA_RETURN_URL),
                dataDir = dataDir.path,
                stripeFallback = false,
                connectTimeoutMs = 1_000L,
                requestTimeoutMs = 5_000L,
                maxAttempts = 2,
                refreshDeadlineMs = case.refreshDeadlineMs,
                callDeadlineMs = case.callDeadlineMs,
            ),
            user,
        )

    /** Runs one case of the table; returns what went wrong (empty when all held). */
    private suspend fun runLying(case: TestLyingCase): List<String> {
        val wrong = mutableListOf<String>()
        val server = TestLyingServer.start(case.name)
        try {
            lyingClient(server, case).use { client ->
                val id = server.accountId()
                val started = System.nanoTime()
                val outcome: Result<String> =
                    runCatching {
                        when (case.call) {
                            "account" -> client.account(id).toString()
                            "refresh" -> {
                                val report = client.refresh(id, listOf(DataFeature.BALANCES))
                                val pending = outcome(report, DataFeature.BALANCES) == FeatureOutcome.StillPending
                                if (pending != case.expectStillPending) wrong.add("still pending: $pending")
                                report.toString()
                            }
                            "owners" -> {
                                val owners = client.owners(id)
                                if (owners.owners.size > 10_000) wrong.add("${owners.owners.size} owners, over the cap")
                                owners.toString()
                            }
                            "sync" -> {
                                val sync = client.syncTransactions(id, null)
                                if (sync.transactions.size > 10_000) wrong.add("${sync.transactions.size} transactions, over the cap")
                                if (sync.hasMore != case.expectHasMore) wrong.add("hasMore ${sync.hasMore}")
                                "${sync.cursor} ${sync.transactions.firstOrNull()}"
                            }
                            else -> throw AssertionError("unknown call ${case.call}")
                        }
                    }
                val tookMs = (System.nanoTime() - started) / 1_000_000
                val texts = mutableListOf<String>()
                val thrown = outcome.exceptionOrNull()
                val expected = case.expectedError
                when {
                    expected == null && thrown != null -> wrong.add("expected success, got $thrown")
                    expected != null && thrown == null -> wrong.add("expected $expected, got success")
                    thrown != null && thrown !is FinConnException -> wrong.add("not a FinConnException: $thrown")
                    thrown is FinConnException -> {
                        if (errorCode(thrown) != expected) wrong.add("expected $expected, got ${errorCode(thrown)}: ${errorReason(thrown)}")
                        if (!errorReason(thrown).contains(case.messageContains)) {
                            wrong.add("the reason does not say '${case.messageContains}': ${errorReason(thrown)}")
                        }
                        texts.add(thrown.toString())
                        texts.add(errorReason(thrown))
                    }
                }
                outcome.getOrNull()?.let { texts.add(it) }
                val list = server.requests("owners") + server.requests("transactions")
                if (list > case.maxListRequests) wrong.add("$list list requests, more than ${case.maxListRequests}")
                if (server.maxLimitAsked() > 100) wrong.add("asked limit=${server.maxLimitAsked()}")
                if (tookMs > case.maxMs) wrong.add("took $tookMs ms, more than ${case.maxMs} ms")
                for (planted in case.planted) {
                    if (texts.any { it.contains(planted) }) wrong.add("the lie's value (${planted.length} chars) reached the app")
                }
                if (server.requests("other") != 0) wrong.add("a request went to an unknown path")
            }
        } finally {
            server.shutdown()
            server.close()
        }
        return wrong
    }

    private suspend fun assertHolds(vararg names: String) {
        val failures = names.flatMap { name -> runLying(lyingCase(name)).map { "$name: $it" } }
        assertTrue(failures.joinToString("\n"), failures.isEmpty())
    }

    @Test
    fun aPageLargerThanTheLimitIsAnInvalidResponse() = runBlocking<Unit> {
        assertHolds("transactions_page_over_the_limit", "owners_page_over_the_limit")
    }

    @Test
    fun alternatingPagesAreCaughtAsALoop() = runBlocking<Unit> {
        assertHolds("transactions_alternating_pages", "owners_alternating_pages")
    }

    @Test
    fun refreshIsBoundedByItsDeadlineAsAWhole() = runBlocking<Unit> {
        assertHolds("slow_refresh_polls")
    }

    @Test
    fun aSyncStopsAtTheTotalCapAndContinuesFromItsCursor() = runBlocking<Unit> {
        assertHolds("transactions_beyond_the_total_cap", "fat_transactions_beyond_the_byte_cap")
        // 120 pages of 100: read in two calls, 10,000 then 2,000, each within 100 requests.
        val server = TestLyingServer.startWithPages(120)
        try {
            lyingClient(server, lyingCase("transactions_beyond_the_total_cap")).use { client ->
                val id = server.accountId()
                val first = client.syncTransactions(id, null)
                assertEquals(10_000, first.transactions.size)
                assertTrue("stopped at the cap", first.hasMore)
                assertEquals(100, server.requests("transactions"))
                val second = client.syncTransactions(id, first.cursor)
                assertFalse("the list ended", second.hasMore)
                assertEquals(2_000, second.transactions.size)
                assertEquals("at most 100 requests per call", 120, server.requests("transactions"))
                val ids = (first.transactions + second.transactions).map { it.id }.toSet()
                assertEquals("every transaction once, none skipped", 12_000, ids.size)
                assertEquals("fctxnref_1lying", second.cursor)
                assertTrue(server.maxLimitAsked() <= 100)
            }
        } finally {
            server.shutdown()
            server.close()
        }
    }

    @Test
    fun everyLyingCaseIsBoundedAndNothingItPlantsReachesTheApp() = runBlocking<Unit> {
        val cases = lyingCases()
        assertTrue("the table is not empty", cases.size >= 15)
        val failures = mutableListOf<String>()
        for (case in cases) {
            val started = System.nanoTime()
            val wrong = runLying(case)
            println("%-40s %6d ms  %s".format(case.name, (System.nanoTime() - started) / 1_000_000, if (wrong.isEmpty()) "ok" else "FAILED"))
            failures.addAll(wrong.map { "${case.name}: $it" })
        }
        assertTrue(failures.joinToString("\n"), failures.isEmpty())
    }
}
