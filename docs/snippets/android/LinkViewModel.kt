package com.example.myapp

import android.app.Application
import android.util.Log
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import io.finconn.FlowClient
import io.finconn.FlowResult
import io.finconn.Permission
import io.finconn.SessionOptions
import io.finconn.SheetPresenter
import io.finconn.core.DataFeature
import io.finconn.core.FinConnException
import io.finconn.core.FlowStatus
import kotlinx.coroutines.launch

class LinkViewModel(application: Application) : AndroidViewModel(application) {
    private val app = getApplication<App>()

    init {
        viewModelScope.launch {
            try {
                val client: FlowClient = app.client.await()
                // The launch step: flows interrupted by a kill are finished here, not restored by you.
                val recovery = client.resumePending()
                recovery.finished.forEach(::show)             // results of interrupted links
                recovery.waiting.forEach { it.close() }       // the next launch asks the backend again
                Log.i(TAG, "reports delivered ${recovery.reports.delivered}, left ${recovery.reports.remaining}")
            } catch (e: FinConnException) {
                showError(e)
            }
        }
    }

    /** "Link your bank account": `presenter` is the activity's StripeSheetPresenter. */
    fun link(presenter: SheetPresenter) {
        viewModelScope.launch {
            val options = SessionOptions(
                permissions = listOf(Permission.BALANCES, Permission.PAYMENT_METHOD),
                prefetch = listOf(DataFeature.BALANCES),
            )
            try {
                val client: FlowClient = app.client.await()
                show(client.link(options, presenter))
            } catch (e: FinConnException) {
                showError(e)
            }
        }
    }

    /** Every link the activity receives; with the native sheet, usually none. */
    fun handleUrl(url: String) {
        viewModelScope.launch {
            try {
                val client: FlowClient = app.client.await()
                val handling = client.handleUrl(url)
                Log.d(TAG, "flow link: ${handling.isFlowUrl}")
            } catch (e: FinConnException) {
                showError(e)
            }
        }
    }

    private fun show(result: FlowResult) {
        when (result.status) {
            FlowStatus.COMPLETED -> Log.i(TAG, "linked ${result.accounts.map { it.displayLine }}")
            FlowStatus.CANCELED -> Log.i(TAG, "the user left before linking an account")
            FlowStatus.FAILED -> Log.w(TAG, "linking failed: ${result.error}")
        }
    }

    private fun showError(e: FinConnException) {
        Log.w(TAG, "${e.code()} (request ${e.requestId()}), retryable ${e.isRetryable()}")
    }

    private companion object {
        const val TAG = "Linking"
    }
}
