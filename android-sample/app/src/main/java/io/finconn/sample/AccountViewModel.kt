package io.finconn.sample

import android.app.Application
import android.util.Log
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.SavedStateHandle
import androidx.lifecycle.viewModelScope
import io.finconn.Account
import io.finconn.AccountAction
import io.finconn.AccountOwner
import io.finconn.core.FeatureRefresh
import io.finconn.FlowClient
import io.finconn.core.DataFeature
import io.finconn.Transaction
import io.finconn.TransactionSync
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/**
 * One account's transactions as the app last synced them: the core's cursor for the next
 * `syncTransactions`, and the transactions upserted by id. The core decides what changed.
 */
class TransactionLedger {
    var cursor: String? = null
        private set
    private val byId = mutableMapOf<String, Transaction>()

    fun upsert(sync: TransactionSync) {
        cursor = sync.cursor
        sync.transactions.forEach { byId[it.id] = it }
    }

    /** The [count] latest by `transactedAtUnixSeconds`, newest first. */
    fun latest(count: Int): List<Transaction> = byId.values.sortedByDescending { it.transactedAtUnixSeconds }.take(count)
}

/**
 * The account screen's state and its calls into the core: the account, its owners, the latest
 * transactions, and "Refresh". The account id comes from the activity's intent extras (the
 * SavedStateHandle holds them). Every call that can throw goes through [guarded].
 */
class AccountViewModel(application: Application, savedState: SavedStateHandle) : AndroidViewModel(application) {

    data class UiState(
        val account: Account? = null,
        val owners: List<AccountOwner> = emptyList(),
        val latestTransactions: List<Transaction> = emptyList(),
        /** One per feature of the last refresh. */
        val refreshes: List<FeatureRefresh> = emptyList(),
        /** What the account needs before its data can be read (relink, or gone). */
        val action: AccountAction? = null,
        val loading: Boolean = false,
        val error: String? = null,
    )

    private val app: SampleApplication = getApplication()
    val accountId: String = savedState.get<String>(AccountActivity.EXTRA_ACCOUNT_ID).orEmpty()
    private val ledger = app.ledgers.getOrPut(accountId) { TransactionLedger() }

    private val mutableState = MutableStateFlow(UiState(latestTransactions = ledger.latest(LATEST)))
    val state: StateFlow<UiState> = mutableState.asStateFlow()

    init {
        viewModelScope.launch {
            val client = app.client() ?: return@launch
            mutableState.update { it.copy(loading = true, error = null) }
            guarded({ showError("account", it) }) { client.account(accountId) }?.let { account ->
                mutableState.update { it.copy(account = account) }
            }
            val action = readOwnersAndTransactions(client)
            mutableState.update { it.copy(action = action, loading = false) }
        }
    }

    /** "Refresh": balance, owners and transactions refreshed at Stripe, then read again. */
    fun refresh() {
        if (state.value.loading) return
        mutableState.update { it.copy(loading = true, error = null) }
        viewModelScope.launch {
            val client = app.client()
            if (client == null) {
                mutableState.update { it.copy(loading = false) }
                return@launch
            }
            val report = guarded({ showError("refresh", it) }) { client.refresh(accountId, FEATURES) }
            if (report != null) {
                mutableState.update { it.copy(account = report.account, refreshes = report.features) }
            }
            val readAction = readOwnersAndTransactions(client)
            mutableState.update { it.copy(action = report?.action ?: readAction, loading = false) }
        }
    }

    /** Owners, then the transactions changed since the ledger's cursor; returns either's action. */
    private suspend fun readOwnersAndTransactions(client: FlowClient): AccountAction? {
        val owners = guarded({ showError("owners", it) }) { client.owners(accountId) }
        if (owners != null) {
            mutableState.update { it.copy(owners = owners.owners) }
        }
        val sync = guarded({ showError("syncTransactions", it) }) {
            client.syncTransactions(accountId, ledger.cursor)
        }
        if (sync != null) {
            ledger.upsert(sync)
            mutableState.update { it.copy(latestTransactions = ledger.latest(LATEST)) }
        }
        return owners?.action ?: sync?.action
    }

    private fun showError(operation: String, e: Exception) {
        Log.w(TAG, "$operation: ${UserMessages.logText(app, e)}")
        mutableState.update { it.copy(error = UserMessages.text(app, e)) }
    }

    private companion object {
        const val TAG = "FinConnSample"
        const val LATEST = 5
        val FEATURES = listOf(DataFeature.BALANCES, DataFeature.OWNERSHIP, DataFeature.TRANSACTIONS)
    }
}
