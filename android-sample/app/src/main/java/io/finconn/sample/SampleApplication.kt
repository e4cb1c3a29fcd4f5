package io.finconn.sample

import android.app.Application
import io.finconn.FlowClient
import io.finconn.FlowClientConfig
import io.finconn.LogLevel
import io.finconn.open
import io.finconn.setLogger
import kotlinx.coroutines.Job
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.launch

/** Owns the app's one [FlowClient] and what must outlive an activity: the transaction ledgers. */
class SampleApplication : Application() {

    /** The client; null if it could not be created (see [clientError]). */
    var client: FlowClient? = null
        private set

    /** Why the client could not be created (a configuration mistake, shown on screen). */
    var clientError: Exception? = null
        private set

    /** Done once the client is open (or failed to open): join it before reading [client]. */
    lateinit var clientOpened: Job
        private set

    /** `resumePending()` runs once per process, not once per activity. */
    var pendingFlowsResumed = false

    /** Per account id: the last sync's cursor and the transactions read so far. In memory only. */
    val ledgers = mutableMapOf<String, TransactionLedger>()

    override fun onCreate() {
        super.onCreate()
        setLogger(LogcatLogger(), LogLevel.DEBUG)
        // FlowClient.open(config, headers): the library's factory over HttpURLConnection
        // (PlatformHttpTransport). It suspends while the client opens its files, on the library's
        // own thread: the main thread goes on.
        clientOpened = MainScope().launch {
            client = guarded({ clientError = it }) {
                FlowClient.open(
                    FlowClientConfig(
                        backendUrl = BuildConfig.FINCONN_BACKEND_URL,
                        // No return URL of the app's own: with the native FinancialConnectionsSheet,
                        // Stripe's redirect activity receives every stripe-auth:// and stripe:// link
                        // (see README.md). The application id is enough for the core to accept those.
                        returnUrls = emptyList(),
                        androidAppId = packageName,
                        // The core keeps every flow and every unsent completion report here.
                        dataDir = filesDir.absolutePath,
                    ),
                    BearerHeaders(USER_TOKEN),
                )
            }
        }
    }

    companion object {
        /** `fc serve` treats any bearer token as a user; a real app sends its session token. */
        const val USER_TOKEN = "sample-user"
    }
}
