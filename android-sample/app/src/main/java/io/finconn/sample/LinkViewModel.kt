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
import io.finconn.FinConnException
import io.finconn.Flow
import io.finconn.FlowClient
import io.finconn.FlowEvent
import io.finconn.FlowListener
import io.finconn.FlowResult
import io.finconn.InternalException
import io.finconn.Permission
import io.finconn.RelinkRequest
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
 * retries, what the snapshot holds) happens in the core; this class only moves values between the
 * activity, Stripe's sheet and the core.
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
    private val client: FlowClient? = app.client.getOrNull()

    private val mutableState = MutableStateFlow(UiState(status = app.getString(R.string.status_ready)))
    val state: StateFlow<UiState> = mutableState.asStateFlow()

    /** What the activity hands to Stripe's sheet. In memory only: never logged or saved. */
    private val sheetRequests = Channel<SheetConfiguration>(Channel.BUFFERED)
    val presentSheet = sheetRequests.receiveAsFlow()

    /** The flow in progress; null once it has its final result. */
    @Volatile
    private var flow: Flow? = null

    @Volatile
    private var sheetIsUp = false

    private var listenerId: ULong? = null

    /** False once the first activity asked for a restore: later activities are recreations. */
    private var firstActivity = true

    private val appLifecycleObserver = object : DefaultLifecycleObserver {
        override fun onStop(owner: LifecycleOwner) {
            // The whole app left the foreground while Stripe's sheet was up: the user went to the
            // bank's app or the browser.
            val current = flow ?: return
            if (sheetIsUp) {
                try {
                    current.userLeftApp()
                } catch (e: FinConnException) {
                    Log.w(TAG, "userLeftApp: ${UserMessages.text(app, e)}")
                }
            }
        }
    }

    init {
        val client = client
        if (client == null) {
            val error = app.client.exceptionOrNull()
            mutableState.update {
                it.copy(configured = false, status = UserMessages.text(app, error ?: IllegalStateException()))
            }
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
            if (!app.pendingReportsSent) {
                app.pendingReportsSent = true
                viewModelScope.launch { sendPendingReports(client) }
            }
            refreshAccounts()
        }
    }

    override fun onCleared() {
        listenerId?.let { client?.removeListener(it) }
        FinancialConnections.clearEventListener()
        ProcessLifecycleOwner.get().lifecycle.removeObserver(appLifecycleObserver)
    }

    // --- Activity ---------------------------------------------------------------------------

    /**
     * Called by every new activity with the snapshot of its saved state. Only the first activity
     * of this ViewModel can be a restart after process death: then the snapshot is the flow that
     * was interrupted, restored here and resumed.
     */
    fun onActivityCreated(savedSnapshot: String?) {
        if (!firstActivity) return
        firstActivity = false
        val client = client ?: return
        if (savedSnapshot == null) return
        val restored = try {
            client.restoreFlow(savedSnapshot)
        } catch (e: FinConnException) {
            showError(e)
            return
        }
        flow = restored
        viewModelScope.launch { resume(restored) }
    }

    /** For the activity's saved state. */
    fun flowSnapshot(): String? = flow?.snapshot()

    /** Every deep link the activity receives (launch intent and onNewIntent). */
    fun handleUrl(url: String) {
        try {
            val current = flow
            if (current != null) {
                val handling = current.handleUrl(url)
                Log.i(TAG, "deep link: flow link ${handling.isFlowUrl}, recorded ${handling.recorded}")
            } else {
                val check = client?.checkUrl(url) ?: return
                Log.i(TAG, "deep link without a flow: matched ${check.matched}")
            }
        } catch (e: FinConnException) {
            Log.w(TAG, "deep link: ${UserMessages.text(app, e)}")
        }
    }

    // --- User actions -----------------------------------------------------------------------

    fun linkAccount() = startFlow(
        SessionOptions(
            permissions = PERMISSIONS,
            prefetch = listOf(DataFeature.BALANCES),
            returnUrl = SampleApplication.RETURN_URL,
        )
    )

    fun relink(account: Account) {
        val authorization = account.authorization ?: return
        startFlow(
            SessionOptions(
                permissions = PERMISSIONS,
                relink = RelinkRequest(authorization = authorization, account = account.id),
                returnUrl = SampleApplication.RETURN_URL,
            )
        )
    }

    fun checkAgain() {
        val current = flow ?: return
        if (state.value.busy) return
        viewModelScope.launch { resume(current) }
    }

    fun refreshAccounts() {
        val client = client ?: return
        viewModelScope.launch {
            try {
                val accounts = client.listAccounts()
                mutableState.update { it.copy(accounts = accounts) }
            } catch (e: FinConnException) {
                showError(e)
            } catch (e: InternalException) {
                showError(e)
            }
        }
    }

    // --- Flow -------------------------------------------------------------------------------

    private fun startFlow(options: SessionOptions) {
        val client = client ?: return
        if (state.value.busy) return
        mutableState.update {
            it.copy(busy = true, canCheckAgain = false, status = app.getString(R.string.status_starting))
        }
        viewModelScope.launch {
            try {
                val newFlow = client.newFlow(options)
                flow = newFlow
                sheetRequests.send(newFlow.start())
            } catch (e: FinConnException) {
                // Nothing was shown to the user yet: drop the flow, a new tap starts a new one.
                flow = null
                mutableState.update { it.copy(busy = false) }
                showError(e)
            }
        }
    }

    /** The activity is about to present Stripe's sheet; false if it must not. */
    fun sheetPresented(): Boolean {
        val current = flow ?: return false
        return try {
            current.sheetPresented()
            sheetIsUp = true
            true
        } catch (e: FinConnException) {
            flow = null
            mutableState.update { it.copy(busy = false) }
            showError(e)
            false
        }
    }

    /** Stripe's result callback, forwarded by the activity. */
    fun onSheetResult(result: FinancialConnectionsSheetResult) {
        sheetIsUp = false
        val current = flow
        if (current == null) {
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
            try {
                finish(current.sheetResult(sheetResult))
            } catch (e: FinConnException) {
                failed(e)
            }
        }
    }

    private suspend fun resume(restored: Flow) {
        mutableState.update {
            it.copy(busy = true, canCheckAgain = false, status = app.getString(R.string.status_reconciling))
        }
        try {
            finish(restored.resume())
        } catch (e: FinConnException) {
            failed(e)
        }
    }

    private fun finish(result: FlowResult) {
        flow = null
        mutableState.update {
            it.copy(busy = false, canCheckAgain = false, status = UserMessages.text(app, result))
        }
        refreshAccounts()
    }

    /**
     * `sheetResult` or `resume` threw. What to do is what the exception class says: the temporary
     * ones leave the flow waiting for its result (ask again later), the others end it.
     */
    private fun failed(e: FinConnException) {
        val temporary = when (e) {
            is FinConnException.Offline,
            is FinConnException.Timeout,
            is FinConnException.ServiceUnavailable,
            is FinConnException.Unauthorized -> true
            is FinConnException.InvalidConfiguration,
            is FinConnException.InvalidState,
            is FinConnException.Rejected,
            is FinConnException.SnapshotUnusable,
            is FinConnException.Other -> false
        }
        if (!temporary) flow = null
        mutableState.update {
            it.copy(busy = false, canCheckAgain = temporary, status = UserMessages.text(app, e))
        }
    }

    private suspend fun sendPendingReports(client: FlowClient) {
        try {
            val summary = client.sendPendingReports()
            Log.i(
                TAG,
                "pending reports: ${summary.delivered} delivered, ${summary.remaining} left, ${summary.dropped} dropped",
            )
        } catch (e: FinConnException) {
            Log.w(TAG, "sendPendingReports: ${UserMessages.text(app, e)}")
        }
    }

    // --- Display ----------------------------------------------------------------------------

    private fun showError(e: Throwable) {
        val message = UserMessages.text(app, e)
        Log.w(TAG, message)
        mutableState.update { it.copy(status = message) }
    }

    private fun showEvent(event: FlowEvent) {
        when (event) {
            is FlowEvent.PhaseChanged -> mutableState.update {
                it.copy(phase = app.getString(R.string.status_phase, event.to.name.lowercase()))
            }
            is FlowEvent.Finished -> mutableState.update {
                it.copy(phase = app.getString(R.string.status_phase, event.status.name.lowercase()))
            }
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
