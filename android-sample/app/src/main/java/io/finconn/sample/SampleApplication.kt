package io.finconn.sample

import android.app.Application
import io.finconn.FlowClient
import io.finconn.FlowClientConfig
import io.finconn.LogLevel
import io.finconn.setLogger
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.async

/** Owns the app's one [FlowClient] and what must outlive an activity: the transaction ledgers. */
class SampleApplication : Application() {

    /** Why the client could not be created (a configuration mistake, shown on screen). */
    @Volatile
    var clientError: Exception? = null
        private set

    /** Per account id: the last sync's cursor and the transactions read so far. In memory only. */
    val ledgers = mutableMapOf<String, TransactionLedger>()

    private val scope = MainScope()
    private lateinit var opening: Deferred<FlowClient?>

    override fun onCreate() {
        super.onCreate()
        setLogger(LogcatLogger(), LogLevel.DEBUG)
        // Off the main thread: the client sets up its data directory.
        opening = scope.async(Dispatchers.IO) { guarded({ clientError = it }) { openClient() } }
    }

    /** The client, once created; null if it could not be (see [clientError]). */
    suspend fun client(): FlowClient? = opening.await()

    /**
     * The one place the client is created: the library's factory over HttpURLConnection
     * (PlatformHttpTransport).
     */
    private suspend fun openClient(): FlowClient =
        FlowClient.open(
            FlowClientConfig(
                backendUrl = BuildConfig.FINCONN_BACKEND_URL,
                // No return URL of the app's own: with the native FinancialConnectionsSheet,
                // Stripe's redirect activity receives every stripe-auth:// and stripe:// link
                // (see README.md). The application id is enough for the core to accept those.
                returnUrls = emptyList(),
                androidAppId = packageName,
                // Every flow and every unsent completion report: never backed up or restored.
                dataDir = noBackupFilesDir.path,
            ),
            BearerHeaders(USER_TOKEN),
        )

    companion object {
        /** `fc serve` treats any bearer token as a user; a real app sends its session token. */
        const val USER_TOKEN = "sample-user"
    }
}
