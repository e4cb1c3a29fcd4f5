package com.example.myapp

import android.util.Log
import io.finconn.FlowClient
import io.finconn.core.DataFeature

suspend fun logBalance(client: FlowClient, accountId: String) {
    // Asks Stripe to refresh, then waits for it (bounded by FlowClientConfig.refreshDeadlineMs).
    val report = client.refresh(accountId, listOf(DataFeature.BALANCES))
    report.action?.let { action -> Log.w("Account", "the account needs attention first: $action") }
    report.features.forEach { Log.i("Account", "${it.feature}: ${it.outcome}") }
    val balance = report.account.balance ?: return
    // Integer minor units per lowercase ISO currency; positive: owed to the holder.
    balance.current.forEach { money -> Log.i("Account", "${money.amountMinor} ${money.currency}") }
}
