package io.finconn.sample

import android.app.Application
import android.util.Log
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import io.finconn.Account
import io.finconn.core.DataFeature
import io.finconn.FlowClient
import io.finconn.FlowListener
import io.finconn.Permission
import io.finconn.SessionOptions
import io.finconn.SheetPresenter
import io.finconn.core.FlowEvent
import io.finconn.core.RelinkRequest
import io.finconn.core.SetupFinding
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/**
 * The main screen's state and its calls into the core. Linking is one call, `FlowClient.link`,
 * with the activity's `SheetPresenter` (Stripe's sheet); links sent to the app go to
 * `FlowClient.handleUrl`; `resumePending()` is the launch step. It lives across configuration
 * changes, so a rotation never cancels a call in progress (cancelling a suspend call drops the
 * Rust future behind it). Every call that can throw goes through [guarded].
 */
class LinkViewModel(application: Application) : AndroidViewModel(application) {

    data class UiState(
        val accounts: List<Account> = emptyList(),
        val status: String = "",
        val phase: String = "",
        val busy: Boolean = false,
        val configured: Boolean = false,
        /** The last "Check setup" (debug builds), as the library words it. */
        val setupFindings: List<SetupFinding> = emptyList(),
    )

    private val app: SampleApplication = getApplication()

    private val mutableState = MutableStateFlow(UiState(status = app.getString(R.string.status_ready)))
    val state: StateFlow<UiState> = mutableState.asStateFlow()

    private var client: FlowClient? = null
    private var listenerId: Long? = null

    init {
        viewModelScope.launch {
            val client = app.client()
            if (client == null) {
                val error = app.clientError ?: IllegalStateException("FlowClient not created")
                mutableState.update { it.copy(status = UserMessages.text(app, error)) }
                return@launch
            }
            this@LinkViewModel.client = client
            listenerId = client.addListener(object : FlowListener {
                // Called on a core thread; the state flow is thread-safe.
                override fun onEvent(event: FlowEvent) = showEvent(event)
            })
            mutableState.update { it.copy(configured = true) }
            resumePending(client)
            refreshAccounts()
        }
    }

    override fun onCleared() {
        listenerId?.let { client?.removeListener(it) }
    }

    // --- Launch -----------------------------------------------------------------------------

    /**
     * The launch step: the core finishes the flows a killed process left and sends the reports
     * still owed. Idempotent, so every new view model runs it.
     */
    private suspend fun resumePending(client: FlowClient) {
        val recovery = guarded({ showError("resumePending", it) }) { client.resumePending() } ?: return
        // Not kept: closed (unlocked), so that the next launch step asks the backend again.
        recovery.waiting.forEach { it.close() }
        val reports = recovery.reports
        Log.i(
            TAG,
            "resumePending: ${recovery.finished.size} finished, ${recovery.waiting.size} waiting, " +
                "${recovery.quarantined} quarantined; reports ${reports.delivered} delivered, " +
                "${reports.remaining} left, ${reports.dropped} dropped",
        )
        val known = state.value.accounts
        val lines = recovery.finished.map { UserMessages.text(app, it, known) }.toMutableList()
        if (recovery.waiting.isNotEmpty()) lines += app.getString(R.string.status_waiting)
        if (lines.isNotEmpty()) mutableState.update { it.copy(status = lines.joinToString("\n")) }
    }

    // --- User actions -----------------------------------------------------------------------

    fun linkAccount(presenter: SheetPresenter) = link(
        presenter,
        SessionOptions(permissions = PERMISSIONS, prefetch = listOf(DataFeature.BALANCES)),
    )

    /** Relinks an account the list flags (needs relink now, or soon). */
    fun relink(account: Account, presenter: SheetPresenter) {
        val authorization = account.authorization ?: return
        relink(account.id, authorization, emptyList(), presenter)
    }

    /** Relinks as an `AccountAction.RelinkRequired` asks, adding the permissions it says are missing. */
    fun relink(accountId: String, authorization: String, missing: List<Permission>, presenter: SheetPresenter) = link(
        presenter,
        SessionOptions(
            permissions = (PERMISSIONS + missing).distinct(),
            relink = RelinkRequest(authorization = authorization, account = accountId),
        ),
    )

    /**
     * The whole flow: session, Stripe's sheet, the trip to the bank, the reconciled result. The
     * presenter of the activity that started it is kept until it ends; Stripe's result reaches it
     * after a rotation too (io.finconn.stripe.StripeSheetPresenter).
     */
    private fun link(presenter: SheetPresenter, options: SessionOptions) {
        val client = client ?: return
        if (state.value.busy) return
        mutableState.update { it.copy(busy = true, status = app.getString(R.string.status_linking)) }
        viewModelScope.launch {
            val known = state.value.accounts
            val result = guarded({ showError("link", it) }) { client.link(options, presenter) }
            mutableState.update { it.copy(busy = false) }
            if (result != null) {
                mutableState.update { it.copy(status = UserMessages.text(app, result, known)) }
                refreshAccounts()
            }
        }
    }

    /**
     * A link the activity received: to the core, which gives it to the flow waiting for the user
     * to come back. With the native FinancialConnectionsSheet none arrives (Stripe's redirect
     * activity takes them); an app that also runs a hosted or WebView flow gets its https App Link
     * here.
     */
    fun handleUrl(url: String) {
        viewModelScope.launch {
            val client = app.client() ?: return@launch
            guarded({ logError("handleUrl", it) }) { client.handleUrl(url) }?.let {
                Log.i(TAG, "deep link: flow link ${it.isFlowUrl}, recorded ${it.recorded}")
            }
        }
    }

    /** "Check setup" (debug builds): the library's self-check of the configuration. */
    fun checkSetup() {
        val client = client ?: return
        viewModelScope.launch {
            val findings = client.checkSetup()
            findings.filterNot { it.passed }.forEach { Log.e(TAG, "setup check ${it.code}: ${it.message}") }
            mutableState.update { it.copy(setupFindings = findings) }
        }
    }

    fun refreshAccounts() {
        val client = client ?: return
        viewModelScope.launch {
            guarded({ showError("listAccounts", it) }) { client.listAccounts() }?.let { accounts ->
                mutableState.update { it.copy(accounts = accounts) }
            }
        }
    }

    // --- Display ----------------------------------------------------------------------------

    private fun showError(operation: String, e: Exception) {
        logError(operation, e)
        mutableState.update { it.copy(status = UserMessages.text(app, e)) }
    }

    private fun logError(operation: String, e: Exception) {
        Log.w(TAG, "$operation: ${UserMessages.logText(app, e)}")
    }

    private fun showEvent(event: FlowEvent) {
        when (event) {
            is FlowEvent.PhaseChanged -> mutableState.update {
                it.copy(phase = app.getString(R.string.status_phase, event.to.name.lowercase()))
            }
            is FlowEvent.Finished -> mutableState.update {
                it.copy(phase = app.getString(R.string.status_phase, event.status.name.lowercase()))
            }
            // Endpoint, attempt, status and the server's request id: no secret.
            is FlowEvent.BackendCall -> Log.d(
                TAG,
                "backend call ${event.endpoint} #${event.attempt}: status ${event.status}, " +
                    "request ${event.requestId}, error ${event.error}",
            )
            else -> Log.d(TAG, "flow event: $event")
        }
    }

    companion object {
        private const val TAG = "FinConnSample"

        /** Data the sample asks the user to share. */
        private val PERMISSIONS = listOf(
            Permission.BALANCES,
            Permission.OWNERSHIP,
            Permission.PAYMENT_METHOD,
            Permission.TRANSACTIONS,
        )
    }
}
