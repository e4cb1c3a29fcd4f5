// JVM stand-in for Stripe's Financial Connections events (com.stripe:financial-connections), for
// scripts/stripe-adapters-check.sh: NOT Stripe's SDK, compile only, never packaged. Sources and
// versions: see ../FinancialConnections.kt. Read in
// financial-connections/src/main/java/com/stripe/android/financialconnections/analytics/ at the
// commits below and in the API dump financial-connections/api/financial-connections.api at commit
// 2c25adad988fe95ff9276da6b3c862a8858480cd.
package com.stripe.android.financialconnections.analytics

/**
 * `FinancialConnectionsEvent.kt`, commit 95a4467f95bc9912eb339e064c0171d4657a8c23: `data class
 * FinancialConnectionsEvent internal constructor(val name: Name, val metadata: Metadata)`; the API
 * dump: `getName ()L…/FinancialConnectionsEvent$Name;`, `getMetadata ()L…/FinancialConnectionsEvent$Metadata;`.
 * A plain class here: the adapter uses neither `copy` nor equality.
 */
class FinancialConnectionsEvent internal constructor(
    val name: Name,
    val metadata: Metadata,
) {
    /**
     * Same commit: `data class Metadata internal constructor(val institutionName: String? = null, val
     * manualEntry: Boolean? = null, val errorCode: ErrorCode? = null)` with `fun toMap(): Map<String,
     * Any?>`; the API dump: `public final fun toMap ()Ljava/util/Map;`. Only `toMap` is declared.
     */
    class Metadata internal constructor() {
        fun toMap(): Map<String, Any?> =
            throw UnsupportedOperationException("JVM stand-in of Stripe's SDK: compile only")
    }

    /**
     * Same commit: `enum class Name(val value: String)` with these constants; the API dump lists the
     * same eleven and `getValue ()Ljava/lang/String;`.
     */
    enum class Name(val value: String) {
        OPEN("open"),
        FLOW_LAUNCHED_IN_BROWSER("flow_launched_in_browser"),
        MANUAL_ENTRY_INITIATED("manual_entry_initiated"),
        CONSENT_ACQUIRED("consent_acquired"),
        SEARCH_INITIATED("search_initiated"),
        INSTITUTION_SELECTED("institution_selected"),
        INSTITUTION_AUTHORIZED("institution_authorized"),
        ACCOUNTS_SELECTED("accounts_selected"),
        SUCCESS("success"),
        ERROR("error"),
        CANCEL("cancel"),
    }
}

/**
 * `FinancialConnectionsEventListener.kt`, commit 567b451434919814cde29dc32b96fea76951e91b: `fun
 * interface FinancialConnectionsEventListener { fun onEvent(event: FinancialConnectionsEvent) }` (an
 * older copy, 2a6ba8713adb96df41c343f72b27240403ea1e5f, had a typealias of a function type instead:
 * the adapter's lambda compiles against both).
 */
fun interface FinancialConnectionsEventListener {
    fun onEvent(event: FinancialConnectionsEvent)
}
