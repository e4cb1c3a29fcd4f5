// JVM stand-in for the part of Stripe's Android SDK (com.stripe:financial-connections) that
// bindings/android-stripe uses, for scripts/stripe-adapters-check.sh: NOT Stripe's SDK. It declares
// only what StripeSheetPresenter.kt calls or names, with Stripe's public signatures, so that kotlinc
// checks the adapter against them; the adapter is compiled against it, never run with it (bodies
// that would need Android throw). Never packaged: Gradle builds the module against the real SDK.
//
// Traced to stripe-android public source (https://github.com/stripe/stripe-android). The module and
// android-sample pin com.stripe:financial-connections 23.19.0; no copy tagged 23.19.0 could be read
// here, so each declaration names the copies it was read in:
//   * financial-connections/src/main/java/com/stripe/android/financialconnections/<File>.kt at the
//     commits given below (development copies, undated);
//   * financial-connections/api/financial-connections.api, Stripe's binary-compatibility API dump, at
//     commit 2c25adad988fe95ff9276da6b3c862a8858480cd ("API dump" below), which lists every member
//     used here but the result classes (moved, same package, to the financial-connections-core
//     module: https://stripe.dev/stripe-android/financial-connections-core/), and at commit
//     00074fe1823b352083789f68b37d6cb873258f46, which still lists them;
//   * stripe-react-native commit 42283e614e00cc51b01b14b9edc9be11dbf65f5c (2026-08-19), which pins
//     com.stripe 23.16.0 (android/gradle.properties) and calls `FinancialConnections.setEventListener`,
//     `clearEventListener`, `FinancialConnectionsSheet.Configuration(financialConnectionsSessionClientSecret,
//     publishableKey, stripeAccountId)` and matches the three result classes
//     (android/src/main/java/com/reactnativestripesdk/FinancialConnectionsSheetManager.kt).
// Left out: Android supertypes (`Parcelable` of `Configuration` and of the results) and every member
// the adapter does not use.
package com.stripe.android.financialconnections

import androidx.activity.ComponentActivity
import com.stripe.android.financialconnections.analytics.FinancialConnectionsEventListener

/**
 * `FinancialConnectionsSheet.kt`, commits 00a811484f38a44a9f630613eda7a147798ece30 and
 * fe5f1aed8e889441aaa2e55e42b00ecbd271260f: `class FinancialConnectionsSheet internal constructor(
 * private val financialConnectionsSheetLauncher: FinancialConnectionsSheetLauncher)`; the API dump:
 * `public final class com/stripe/android/financialconnections/FinancialConnectionsSheet`.
 */
class FinancialConnectionsSheet internal constructor() {

    /**
     * Both commits: `@Parcelize data class Configuration(val financialConnectionsSessionClientSecret:
     * String, val publishableKey: String, val stripeAccountId: String? = null) : Parcelable`; the API
     * dump: `<init> (Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)V`.
     */
    data class Configuration(
        val financialConnectionsSessionClientSecret: String,
        val publishableKey: String,
        val stripeAccountId: String? = null,
    )

    /**
     * Both commits: `fun present(configuration: Configuration)`; the API dump: `public final fun
     * present (Lcom/stripe/android/financialconnections/FinancialConnectionsSheet$Configuration;)V`.
     */
    fun present(configuration: Configuration) {
        throw UnsupportedOperationException("JVM stand-in of Stripe's SDK: compile only ($configuration)")
    }

    companion object {
        /**
         * Both commits: `@JvmStatic fun create(activity: ComponentActivity, callback:
         * FinancialConnectionsSheetResultCallback): FinancialConnectionsSheet` ("This *must* be called
         * unconditionally, as part of initialization path"); the API dump: `public static final fun
         * create (Landroidx/activity/ComponentActivity;Lcom/stripe/android/financialconnections/FinancialConnectionsSheetResultCallback;)Lcom/stripe/android/financialconnections/FinancialConnectionsSheet;`.
         */
        @JvmStatic
        fun create(
            activity: ComponentActivity,
            callback: FinancialConnectionsSheetResultCallback,
        ): FinancialConnectionsSheet {
            throw UnsupportedOperationException("JVM stand-in of Stripe's SDK: compile only ($activity, $callback)")
        }
    }
}

/**
 * `FinancialConnectionsSheetResult.kt`, commit 00a811484f38a44a9f630613eda7a147798ece30: `sealed
 * class FinancialConnectionsSheetResult : Parcelable` with `data class Completed(val
 * financialConnectionsSession: FinancialConnectionsSession)`, `data object Canceled` and `data class
 * Failed(val error: Throwable)`; the API dump at 00074fe1: `FinancialConnectionsSheetResult$Completed`,
 * `$Canceled` (`INSTANCE`), `$Failed` (`getError ()Ljava/lang/Throwable;`). The adapter only tells
 * them apart and reads `Failed.error`: `Completed`'s session and the constructors are not declared.
 */
sealed class FinancialConnectionsSheetResult {
    class Completed internal constructor() : FinancialConnectionsSheetResult()

    data object Canceled : FinancialConnectionsSheetResult()

    class Failed internal constructor(val error: Throwable) : FinancialConnectionsSheetResult()
}

/**
 * `FinancialConnectionsSheetResultCallback.kt`, commit 00a811484f38a44a9f630613eda7a147798ece30: `fun
 * interface FinancialConnectionsSheetResultCallback { fun onFinancialConnectionsSheetResult(
 * financialConnectionsSheetResult: FinancialConnectionsSheetResult) }`; the API dump at 00074fe1:
 * `public abstract interface class com/stripe/android/financialconnections/FinancialConnectionsSheetResultCallback`.
 */
fun interface FinancialConnectionsSheetResultCallback {
    fun onFinancialConnectionsSheetResult(financialConnectionsSheetResult: FinancialConnectionsSheetResult)
}

/**
 * `FinancialConnections.kt`, commit a005c4d3265c072275ff8ce846ab0d43bdd13d65: `object
 * FinancialConnections` with `@JvmStatic @Synchronized fun setEventListener(listener:
 * FinancialConnectionsEventListener)` and `@JvmStatic @Synchronized fun clearEventListener()`, which
 * set and clear one private listener, as here; the API dump: `public static final fun
 * clearEventListener ()V`, `public static final fun setEventListener
 * (Lcom/stripe/android/financialconnections/analytics/FinancialConnectionsEventListener;)V`.
 */
object FinancialConnections {
    private var eventListener: FinancialConnectionsEventListener? = null

    @JvmStatic
    @Synchronized
    fun setEventListener(listener: FinancialConnectionsEventListener) {
        this.eventListener = listener
    }

    @JvmStatic
    @Synchronized
    fun clearEventListener() {
        this.eventListener = null
    }
}
