package io.finconn.stripe

import androidx.activity.ComponentActivity
import androidx.lifecycle.DefaultLifecycleObserver
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ProcessLifecycleOwner
import com.stripe.android.financialconnections.FinancialConnections
import com.stripe.android.financialconnections.FinancialConnectionsSheet
import com.stripe.android.financialconnections.FinancialConnectionsSheetResult
import io.finconn.CallbackException
import io.finconn.LinkEvents
import io.finconn.SheetConfiguration
import io.finconn.SheetPresenter
import io.finconn.SheetResult
import java.util.concurrent.atomic.AtomicReference
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * Presents Stripe's `FinancialConnectionsSheet` for `FlowClient.link`.
 *
 * Create one in the activity's `onCreate` (Stripe registers its result callback there, before the
 * activity is STARTED), every time, and pass the current one to `link`:
 *
 * ```kotlin
 * presenter = StripeSheetPresenter(this)                          // onCreate
 * val result = client.link(options, presenter)                    // e.g. in viewModelScope
 * ```
 *
 * While the sheet is up it forwards Stripe's events (`FinancialConnections.setEventListener`) to
 * [LinkEvents.recordStripeEvent] and reports the whole app leaving the foreground (the user went to
 * the bank's app or the browser; `ProcessLifecycleOwner` ON_STOP) with [LinkEvents.userLeftApp].
 *
 * One sheet is up at a time per process. Its result goes to whichever presenter's callback Stripe
 * calls, so a `link` started before a rotation gets the result the recreated activity receives. A
 * result that arrives when no `link` waits (the process was killed meanwhile) is dropped: the
 * next launch's `resumePending()` asks the backend.
 */
class StripeSheetPresenter(activity: ComponentActivity) : SheetPresenter {
    private val lifecycle: Lifecycle = activity.lifecycle
    private val sheet = FinancialConnectionsSheet.create(activity) { result ->
        pending.getAndSet(null)?.complete(result)
    }

    override suspend fun present(configuration: SheetConfiguration, events: LinkEvents): SheetResult =
        withContext(Dispatchers.Main.immediate) {
            if (lifecycle.currentState == Lifecycle.State.DESTROYED) {
                throw CallbackException.Failed("the activity that created the presenter is destroyed")
            }
            val result = CompletableDeferred<FinancialConnectionsSheetResult>()
            if (!pending.compareAndSet(null, result)) {
                throw CallbackException.Failed("Stripe's sheet is already up")
            }
            // userLeftApp writes the flow's progress: on the library's executor, from a coroutine
            // of this call (cancelled with it), never blocking the main thread.
            val leftApp = object : DefaultLifecycleObserver {
                override fun onStop(owner: LifecycleOwner) {
                    launch { events.userLeftApp() }
                }
            }
            FinancialConnections.setEventListener { event ->
                val metadata = event.metadata.toMap().mapNotNull { (key, value) -> value?.let { key to it.toString() } }
                events.recordStripeEvent(event.name.value, metadata.toMap())
            }
            ProcessLifecycleOwner.get().lifecycle.addObserver(leftApp)
            try {
                try {
                    sheet.present(
                        FinancialConnectionsSheet.Configuration(
                            financialConnectionsSessionClientSecret = configuration.clientSecret(),
                            publishableKey = configuration.publishableKey(),
                            stripeAccountId = configuration.stripeAccount(),
                        )
                    )
                } catch (e: IllegalStateException) {
                    // The activity's result registry no longer takes launches (it is finishing).
                    throw CallbackException.Failed("Stripe's sheet could not be launched")
                }
                when (val done = result.await()) {
                    is FinancialConnectionsSheetResult.Completed -> SheetResult.Completed
                    is FinancialConnectionsSheetResult.Canceled -> SheetResult.Canceled
                    is FinancialConnectionsSheetResult.Failed ->
                        SheetResult.Failed(error = done.error.message ?: done.error.toString())
                }
            } finally {
                pending.compareAndSet(result, null)
                ProcessLifecycleOwner.get().lifecycle.removeObserver(leftApp)
                FinancialConnections.clearEventListener()
            }
        }

    private companion object {
        /** The presentation waiting for Stripe's result, whichever presenter started it. */
        val pending = AtomicReference<CompletableDeferred<FinancialConnectionsSheetResult>?>(null)
    }
}
