package io.finconn.sample

import android.content.Context
import io.finconn.Account
import io.finconn.AccountAction
import io.finconn.core.FeatureOutcome
import io.finconn.core.FeatureRefresh
import io.finconn.core.FinConnException
import io.finconn.FlowResult
import io.finconn.core.FlowStatus
import io.finconn.InternalException
import io.finconn.core.Money
import io.finconn.Permission
import io.finconn.core.DataFeature
import io.finconn.RelinkOutcome
import io.finconn.RelinkReason
import io.finconn.TransactionStatus
import java.text.DateFormat
import java.util.Date
import java.util.Locale
import kotlin.math.abs

/**
 * What the user reads: one sentence per kind of error and per outcome. The core decides what
 * happened (the exception class, the result's status, the relink outcome, each refresh's
 * outcome); this only words it.
 */
object UserMessages {

    // --- Errors -----------------------------------------------------------------------------

    fun text(context: Context, error: Throwable): String = when (error) {
        is FinConnException.InvalidConfiguration -> context.getString(R.string.error_configuration, error.reason)
        is FinConnException.InvalidState -> context.getString(R.string.error_state, error.reason)
        is FinConnException.Offline -> context.getString(R.string.error_offline)
        is FinConnException.Timeout -> context.getString(R.string.error_timeout)
        is FinConnException.Tls -> context.getString(R.string.error_tls)
        is FinConnException.Unauthorized -> context.getString(R.string.error_unauthorized, error.status)
        is FinConnException.Rejected -> context.getString(R.string.error_rejected, error.status, error.reason)
        is FinConnException.ServiceUnavailable -> {
            val retryAfterMs = error.retryAfterMs
            if (retryAfterMs != null) {
                context.getString(R.string.error_unavailable_retry, (retryAfterMs / 1000 + 1).toInt())
            } else {
                context.getString(R.string.error_unavailable)
            }
        }
        is FinConnException.SnapshotUnusable -> context.getString(R.string.error_snapshot)
        is FinConnException.Storage -> context.getString(R.string.error_storage)
        is FinConnException.Other -> context.getString(R.string.error_other, error.reason)
        // A panic inside the Rust library, reported by UniFFI.
        is InternalException -> context.getString(R.string.error_other, error.message)
        else -> context.getString(R.string.error_other, error.message ?: error.toString())
    }

    /** The developer's log line: the user's sentence plus the server's request id, for support. */
    fun logText(context: Context, error: Throwable): String {
        val requestId = when (error) {
            is FinConnException.Unauthorized -> error.requestId
            is FinConnException.Rejected -> error.requestId
            is FinConnException.ServiceUnavailable -> error.requestId
            is FinConnException.Other -> error.requestId
            else -> null
        }
        val message = text(context, error)
        return if (requestId != null) "$message [request $requestId]" else message
    }

    // --- Flow results -----------------------------------------------------------------------

    /** [known]: the accounts listed before the flow, to name the one a new account duplicates. */
    fun text(context: Context, result: FlowResult, known: List<Account>): String {
        val lines = mutableListOf<String>()
        lines += when (result.status) {
            FlowStatus.COMPLETED -> context.getString(R.string.result_completed, result.accounts.size)
            FlowStatus.CANCELED -> context.getString(R.string.result_canceled)
            FlowStatus.FAILED -> result.error?.let { context.getString(R.string.result_failed, it) }
                ?: context.getString(R.string.result_failed_unknown)
        }
        result.relink?.let { lines += text(context, it) }
        for (duplicate in result.duplicates) {
            val new = result.accounts.firstOrNull { it.id == duplicate.accountId }?.displayLine ?: duplicate.accountId
            val existing = known.firstOrNull { it.id == duplicate.duplicateOf }?.displayLine ?: duplicate.duplicateOf
            lines += context.getString(R.string.result_duplicate, new, existing)
        }
        return lines.joinToString("\n")
    }

    fun text(context: Context, relink: RelinkOutcome): String = when (relink) {
        is RelinkOutcome.Relinked -> context.getString(R.string.relink_relinked)
        is RelinkOutcome.NewAuthorization -> context.getString(R.string.relink_new_authorization)
        is RelinkOutcome.Failed -> context.getString(R.string.relink_failed, relink.reason)
        is RelinkOutcome.Unfinished -> context.getString(R.string.relink_unfinished)
    }

    // --- Account data -----------------------------------------------------------------------

    fun text(context: Context, refresh: FeatureRefresh): String {
        val outcome = when (val o = refresh.outcome) {
            is FeatureOutcome.Succeeded -> context.getString(R.string.outcome_succeeded)
            is FeatureOutcome.Failed -> context.getString(R.string.outcome_failed)
            is FeatureOutcome.StillPending -> context.getString(R.string.outcome_pending)
            is FeatureOutcome.TooSoon -> context.getString(R.string.outcome_too_soon, dateTime(o.retryAtUnixSeconds))
            is FeatureOutcome.NotPermitted -> context.getString(R.string.outcome_not_permitted)
            is FeatureOutcome.Gone -> context.getString(R.string.outcome_gone)
        }
        return context.getString(R.string.outcome_line, text(context, refresh.feature), outcome)
    }

    fun text(context: Context, feature: DataFeature): String = when (feature) {
        DataFeature.BALANCES -> context.getString(R.string.feature_balance)
        DataFeature.OWNERSHIP -> context.getString(R.string.feature_ownership)
        DataFeature.TRANSACTIONS -> context.getString(R.string.feature_transactions)
        DataFeature.INFERRED_BALANCES -> context.getString(R.string.feature_inferred_balances)
    }

    fun text(context: Context, action: AccountAction): String = when (action) {
        is AccountAction.RelinkRequired -> when (val reason = action.reason) {
            is RelinkReason.Inactive -> context.getString(R.string.action_inactive)
            is RelinkReason.MissingPermissions -> context.getString(
                R.string.action_missing_permissions,
                reason.permissions.joinToString(", ") { text(context, it) },
            )
        }
        is AccountAction.Disconnected -> context.getString(R.string.action_disconnected)
    }

    fun text(context: Context, permission: Permission): String = when (permission) {
        Permission.BALANCES -> context.getString(R.string.permission_balances)
        Permission.OWNERSHIP -> context.getString(R.string.permission_ownership)
        Permission.PAYMENT_METHOD -> context.getString(R.string.permission_payment_method)
        Permission.TRANSACTIONS -> context.getString(R.string.permission_transactions)
    }

    fun text(context: Context, status: TransactionStatus): String = when (status) {
        is TransactionStatus.Pending -> context.getString(R.string.transaction_pending)
        is TransactionStatus.Posted -> context.getString(R.string.transaction_posted)
        is TransactionStatus.Void -> context.getString(R.string.transaction_void)
        is TransactionStatus.Unknown -> status.value
    }

    /**
     * Minor units as `-12.34 USD`, with integer arithmetic only (the sign is kept: a credit card's
     * debt is negative). Every currency is shown with two decimals here; a zero-decimal currency
     * such as JPY would need Stripe's currency table.
     */
    fun money(money: Money): String {
        val sign = if (money.amountMinor < 0) "-" else ""
        val units = abs(money.amountMinor / 100)
        val cents = abs(money.amountMinor % 100)
        return "$sign$units.${cents.toString().padStart(2, '0')} ${money.currency.uppercase(Locale.ROOT)}"
    }

    fun money(amounts: List<Money>?): String =
        if (amounts.isNullOrEmpty()) "–" else amounts.joinToString(", ") { money(it) }

    /** A Unix time in seconds, as a date. */
    fun date(unixSeconds: Long): String =
        DateFormat.getDateInstance(DateFormat.MEDIUM).format(Date(unixSeconds * 1000))

    /** A Unix time in seconds, as a date and time. */
    fun dateTime(unixSeconds: Long): String =
        DateFormat.getDateTimeInstance(DateFormat.MEDIUM, DateFormat.SHORT).format(Date(unixSeconds * 1000))
}
