package io.finconn.sample

import android.util.Log
import io.finconn.HeadersProvider
import io.finconn.LogLevel
import io.finconn.Logger

// The interfaces the app implements for the core. The core calls them on its own threads.

/** Headers of every backend call: who the user is. */
class BearerHeaders(private val token: String) : HeadersProvider {
    override fun headers(): Map<String, String> = mapOf("Authorization" to "Bearer $token")
}

/** The core's logs in Logcat (`adb logcat -s finconn`). The core never logs a secret. */
class LogcatLogger : Logger {
    override fun log(level: LogLevel, target: String, message: String) {
        val line = "[$target] $message"
        when (level) {
            LogLevel.ERROR -> Log.e(TAG, line)
            LogLevel.WARN -> Log.w(TAG, line)
            LogLevel.INFO -> Log.i(TAG, line)
            LogLevel.DEBUG -> Log.d(TAG, line)
            LogLevel.TRACE -> Log.v(TAG, line)
        }
    }

    companion object {
        const val TAG = "finconn"
    }
}
