package io.finconn.sample

import android.app.Application
import io.finconn.FlowClient
import io.finconn.FlowClientConfig
import io.finconn.LogLevel
import io.finconn.setLogger

/** Owns the app's one [FlowClient]. */
class SampleApplication : Application() {

    /** The client, or why it could not be created (a configuration mistake, shown on screen). */
    var client: Result<FlowClient> = Result.failure(IllegalStateException("FlowClient not created yet"))
        private set

    /** `sendPendingReports()` runs once per process, not once per activity. */
    var pendingReportsSent = false

    override fun onCreate() {
        super.onCreate()
        setLogger(LogcatLogger(), LogLevel.DEBUG)
        client = runCatching {
            FlowClient(
                FlowClientConfig(
                    backendUrl = BuildConfig.FINCONN_BACKEND_URL,
                    returnUrls = listOf(RETURN_URL),
                    // Lets the core recognise Stripe's own stripe-auth://…/<applicationId>/… links.
                    androidAppId = packageName,
                    // Completion reports wait here until the backend has them.
                    dataDir = filesDir.absolutePath,
                ),
                BearerHeaders(USER_TOKEN),
            )
        }
    }

    companion object {
        /** Declared in AndroidManifest.xml (intent filter of MainActivity). */
        const val RETURN_URL = "finconn-sample://stripe-redirect"

        /** `fc serve` treats any bearer token as a user; a real app sends its session token. */
        const val USER_TOKEN = "sample-user"
    }
}
