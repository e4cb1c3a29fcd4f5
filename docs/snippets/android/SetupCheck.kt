package com.example.myapp

import android.util.Log
import io.finconn.FlowClient

suspend fun logSetupProblems(client: FlowClient) {
    if (!BuildConfig.DEBUG) return
    for (finding in client.checkSetup()) {
        if (!finding.passed) Log.e("Setup", "${finding.code}: ${finding.message}")
    }
}
