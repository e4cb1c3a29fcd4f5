package io.finconn.sample

import android.app.Application
import android.util.Log
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.DefaultLifecycleObserver
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ProcessLifecycleOwner
import androidx.lifecycle.viewModelScope
import com.stripe.android.financialconnections.FinancialConnections
import com.stripe.android.financialconnections.FinancialConnectionsSheetResult
import io.finconn.Account
import io.finconn.DataFeature
import io.finconn.core.FinConnException
import io.finconn.Flow
import io.finconn.FlowClient
import io.finconn.core.FlowEvent
import io.finconn.FlowListener
import io.finconn.FlowResult
import io.finconn.Permission
import io.finconn.core.RelinkRequest
import io.finconn.SessionOptions
import io.finconn.SheetConfiguration
import io.finconn.SheetResult
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.receiveAsFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/**
 * The sample's state and its calls into the core. It lives across configuration changes, so a
 * rotation never cancels a call in progress (cancelling a suspend call drops the Rust future
 * behind it). Everything that decides something (what a deep link means, what the outcome is,
 * retries, what is persisted) happens in the core; this class only moves values between the
 * activity, Stripe's sheet and the core. Every call that can throw goes through [guarded].
 */
class LinkViewModel(application: Application) : AndroidViewModel(application) {

    data class UiState(
        val accounts: List<Account> = emptyList(),
        val status: String = "",
        val phase: String = "",
        val busy: Boolean = false,
        val canCheckAgain: Boolean = false,
        val configured: Boolean = true,
    )

    private val app: SampleApplication = getApplication()
    /** Set once [SampleApplication.clientOpened] is done. */
    @Volatile
    private var client: FlowClient? = null

    private val mutableState = MutableStateFlow(UiState(status = app.getString(R.string.status_ready)))
    val state: StateFlow<UiState> = mutableState.asStateFlow()

    /** What the activity hands to Stripe's sheet. In memory only: never logged or saved. */
    private val sheetRequests = Channel<SheetConfiguration>(Channel.BUFFERED)
    val presentSheet = sheetRequests.receiveAsFlow()

    /** The flow being started or whose sheet is up; deep links go to it. */
    @Volatile
    private var flow: Flow? = null

    /** Flows waiting for the backend's answer (offline, 5xx): "Check the result again". Main thread. */
    private val waitingFlows = mutableListOf<Flow>()

    @Volatile
    private var sheetIsUp = false

    private var listenerId: ULong? = null

    private val appLifecycleObserver = object : DefaultLifecycleObserver {
        override fun onStop(owner: LifecycleOwner) {
            // The whole app left the foreground while Stripe's sheet was up: the user went to the
            // bank's app or the browser. The core has already saved the flow.
            val current = flow ?: return
            if (sheetIsUp) {
                viewModelScope.launch { guarded({ logError("userLeftApp", it) }) { current.userLeftApp() } }
            }
        }
    }

    init {
        // The client opens on the library's executor at process start (SampleApplication).
        viewModelScope.launch {
            app.clientOpened.join()
            client = app.client
            val client = client
            if (client == null) {
                val error = app.clientError ?: IllegalStateException("FlowClient not created")
                mutableState.update { it.copy(configured = false, status = UserMessages.text(app, error)) }
            } else {
                listenerId = client.addListener(object : FlowListener {
                    // Called on a core thread; the state flow is thread-safe.
                    override fun onEvent(event: FlowEvent) = showEvent(event)
                })
                // Stripe's SDK events go to the flow in progress; the core passes them on to its
                // listeners and its logs.
                FinancialConnections.setEventListener { event ->
                    val metadata = event.metadata.toMap()
                        .mapNotNull { (key, value) -> value?.let { key to it.toString() } }
                        .toMap()
                    flow?.recordStripeEvent(event.name.value, metadata)
                }
                ProcessLifecycleOwner.get().lifecycle.addObserver(appLifecycleObserver)
                if (!app.pendingFlowsResumed) {
                    app.pendingFlowsResumed = true
                    viewModelScope.launch { resumePending(client) }
                }
                refreshAccounts()
            }
        }
    }

    override fun onCleared() {
        listenerId?.let { client?.removeListener(it) }
        FinancialConnections.clearEventListener()
        ProcessLifecycleOwner.get().lifecycle.removeObserver(appLifecycleObserver)
    }

    // --- Activity ---------------------------------------------------------------------------

    /**
     * A link the activity received. With the native FinancialConnectionsSheet none arrives
     * (Stripe's redirect activity takes them); an app that also runs a hosted or WebView flow gets
     * its https App Link here. The core says what it is.
     */
    fun handleUrl(url: String) {
        val current = flow
        if (current != null) {
            viewModelScope.launch {
                guarded({ logError("handleUrl", it) }) { current.handleUrl(url) }?.let {
                    Log.i(TAG, "deep link: flow link ${it.isFlowUrl}, recorded ${it.recorded}")
                }
            }
        } else {
            val client = client ?: return
            guarded({ logError("checkUrl", it) }) { client.checkUrl(url) }?.let {
                Log.i(TAG, "deep link without a flow: matched ${it.matched}")
            }
        }
    }

    // --- User actions -----------------------------------------------------------------------

    fun linkAccount() = startFlow(
        SessionOptions(
            permissions = PERMISSIONS,
            prefetch = listOf(DataFeature.BALANCES),
        )
    )

    /** Relinks an account the list flags (needs relink now, or soon). */
    fun relink(account: Account) {
        val authorization = account.authorization ?: return
        relink(account.id, authorization, emptyList())
    }

    /** Relinks as an `AccountAction.RelinkRequired` asks, adding the permissions it says are missing. */
    fun relink(accountId: String, authorization: String, missing: List<Permission>) = startFlow(
        SessionOptions(
            permissions = (PERMISSIONS + missing).distinct(),
            relink = RelinkRequest(authorization = authorization, account = accountId),
        )
    )

    /** Asks the backend again for the result of every waiting flow. */
    fun checkAgain() {
        if (state.value.busy || waitingFlows.isEmpty()) return
        val flows = waitingFlows.toList()
        waitingFlows.clear()
        viewModelScope.launch { flows.forEach { resume(it) } }
    }

    fun refreshAccounts() {
        val client = client ?: return
        viewModelScope.launch {
            guarded({ showError("listAccounts", it) }) { client.listAccounts() }?.let { accounts ->
                mutableState.update { it.copy(accounts = accounts) }
            }
        }
    }

    // --- Flow -------------------------------------------------------------------------------

    /** The launch step: the core resumes what a killed process left and sends owed reports. */
    private suspend fun resumePending(client: FlowClient) {
        val recovery = guarded({ showError("resumePending", it) }) { client.resumePending() } ?: return
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
        waitingFlows += recovery.waiting
        mutableState.update {
            it.copy(
                canCheckAgain = waitingFlows.isNotEmpty(),
                status = if (lines.isEmpty()) it.status else lines.joinToString("\n"),
            )
        }
        if (recovery.finished.isNotEmpty()) refreshAccounts()
    }

    private fun startFlow(options: SessionOptions) {
        val client = client ?: return
        if (state.value.busy) return
        mutableState.update { it.copy(busy = true, status = app.getString(R.string.status_starting)) }
        viewModelScope.launch {
            val newFlow = guarded({ showError("newFlow", it) }) { client.newFlow(options) }
            if (newFlow == null) {
                mutableState.update { it.copy(busy = false) }
                return@launch
            }
            flow = newFlow
            val configuration = guarded({ showError("start", it) }) { newFlow.start() }
            if (configuration == null) {
                endUnshown(newFlow)
                return@launch
            }
            sheetRequests.send(configuration)
        }
    }

    /** The activity is about to present Stripe's sheet; false if it must not. */
    suspend fun sheetPresented(): Boolean {
        val current = flow ?: return false
        val presented = guarded({ showError("sheetPresented", it) }) { current.sheetPresented() } != null
        if (presented) {
            sheetIsUp = true
        } else {
            viewModelScope.launch { endUnshown(current) }
        }
        return presented
    }

    /**
     * The sheet was never shown: the flow ends canceled (the core reports a session it already
     * created as canceled). The error, if any, was already shown.
     */
    private suspend fun endUnshown(unshown: Flow) {
        guarded({ logError("cancel", it) }) { unshown.cancel() }
        flow = null
        mutableState.update { it.copy(busy = false) }
    }

    /** Stripe's result callback, forwarded by the activity. */
    fun onSheetResult(result: FinancialConnectionsSheetResult) {
        sheetIsUp = false
        val current = flow
        if (current == null) {
            // E.g. the process was killed while the sheet was up: resumePending() asks the
            // backend for that flow's result.
            Log.w(TAG, "Stripe's sheet returned a result but no flow is in progress")
            return
        }
        val sheetResult = when (result) {
            is FinancialConnectionsSheetResult.Completed -> SheetResult.Completed
            is FinancialConnectionsSheetResult.Canceled -> SheetResult.Canceled
            is FinancialConnectionsSheetResult.Failed ->
                SheetResult.Failed(error = result.error.message ?: result.error.toString())
        }
        mutableState.update { it.copy(busy = true, status = app.getString(R.string.status_reconciling)) }
        viewModelScope.launch {
            val known = state.value.accounts
            val flowResult = guarded({ failed("sheetResult", current, it) }) { current.sheetResult(sheetResult) }
            flow = null
            if (flowResult != null) finish(flowResult, known)
        }
    }

    private suspend fun resume(waiting: Flow) {
        mutableState.update {
            it.copy(busy = true, canCheckAgain = false, status = app.getString(R.string.status_reconciling))
        }
        val known = state.value.accounts
        guarded({ failed("resume", waiting, it) }) { waiting.resume() }?.let { finish(it, known) }
    }

    /** `known`: the accounts listed before the flow, to name the ones a new account duplicates. */
    private fun finish(result: FlowResult, known: List<Account>) {
        mutableState.update {
            it.copy(
                busy = false,
                canCheckAgain = waitingFlows.isNotEmpty(),
                status = UserMessages.text(app, result, known),
            )
        }
        refreshAccounts()
    }

    /**
     * `sheetResult` or `resume` threw. What to do is what the exception class says: the temporary
     * ones leave the flow waiting for its result (ask again later), the others end it. A storage
     * failure left the flow where it was: asking again once there is space finishes it.
     */
    private fun failed(operation: String, unfinished: Flow, e: Exception) {
        val temporary = when (e) {
            is FinConnException.Offline,
            is FinConnException.Timeout,
            is FinConnException.ServiceUnavailable,
            is FinConnException.Unauthorized,
            is FinConnException.Storage -> true
            else -> false
        }
        if (temporary) waitingFlows += unfinished
        showError(operation, e)
        mutableState.update { it.copy(busy = false, canCheckAgain = waitingFlows.isNotEmpty()) }
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
