package com.example.myapp

import android.app.Application
import io.finconn.FlowClient
import io.finconn.FlowClientConfig
import io.finconn.HeadersProvider
import io.finconn.open
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.async

/** Who the user is, on every backend call. Called on a library thread, before each attempt. */
class SessionHeaders(private val token: () -> String) : HeadersProvider {
    override fun headers(): Map<String, String> = mapOf("Authorization" to "Bearer ${token()}")
}

class App : Application() {
    /** The one client: `client.await()` in a coroutine gives it, or throws what opening threw. */
    lateinit var client: Deferred<FlowClient>
        private set

    override fun onCreate() {
        super.onCreate()
        client = MainScope().async {
            FlowClient.open(
                FlowClientConfig(
                    backendUrl = "https://api.example.com",   // your backend (step 2)
                    returnUrls = emptyList(),                 // the native sheet needs none (step 3)
                    androidAppId = packageName,               // your applicationId (step 3)
                    dataDir = noBackupFilesDir.path,          // never backed up (step 4)
                ),
                SessionHeaders { currentUserToken() },
            )
        }
    }

    private fun currentUserToken(): String = TODO("your app's session token for the signed-in user")
}
