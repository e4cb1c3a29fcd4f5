package io.finconn.sample

import android.content.Context
import io.finconn.FinConnException
import io.finconn.FlowResult
import io.finconn.FlowStatus
import io.finconn.InternalException
import io.finconn.RelinkOutcome

/**
 * What the user reads: one sentence per kind of error and per outcome. The core decides what
 * happened (the exception class, the result's status, the relink outcome); this only words it.
 */
object UserMessages {

    fun text(context: Context, error: Throwable): String = when (error) {
        is FinConnException.InvalidConfiguration -> context.getString(R.string.error_configuration, error.reason)
        is FinConnException.InvalidState -> context.getString(R.string.error_state, error.reason)
        is FinConnException.Offline -> context.getString(R.string.error_offline)
        is FinConnException.Timeout -> context.getString(R.string.error_timeout)
        is FinConnException.Unauthorized -> context.getString(R.string.error_unauthorized, error.status.toInt())
        is FinConnException.Rejected -> context.getString(R.string.error_rejected, error.status.toInt(), error.reason)
        is FinConnException.ServiceUnavailable -> {
            val retryAfterMs = error.retryAfterMs
            if (retryAfterMs != null) {
                context.getString(R.string.error_unavailable_retry, (retryAfterMs / 1000u + 1u).toInt())
            } else {
                context.getString(R.string.error_unavailable)
            }
        }
        is FinConnException.SnapshotUnusable -> context.getString(R.string.error_snapshot)
        is FinConnException.Other -> context.getString(R.string.error_other, error.reason)
        // A panic inside the Rust library, reported by UniFFI.
        is InternalException -> context.getString(R.string.error_other, error.message)
        else -> context.getString(R.string.error_other, error.message ?: error.toString())
    }

    fun text(context: Context, result: FlowResult): String {
        val lines = mutableListOf<String>()
        lines += when (result.status) {
            FlowStatus.COMPLETED -> context.getString(R.string.result_completed, result.accounts.size)
            FlowStatus.CANCELED -> context.getString(R.string.result_canceled)
            FlowStatus.FAILED -> result.error?.let { context.getString(R.string.result_failed, it) }
                ?: context.getString(R.string.result_failed_unknown)
        }
        result.relink?.let { lines += text(context, it) }
        return lines.joinToString("\n")
    }

    fun text(context: Context, relink: RelinkOutcome): String = when (relink) {
        is RelinkOutcome.Relinked -> context.getString(R.string.relink_relinked)
        is RelinkOutcome.NewAuthorization -> context.getString(R.string.relink_new_authorization)
        is RelinkOutcome.Failed -> context.getString(R.string.relink_failed, relink.reason)
        is RelinkOutcome.Unfinished -> context.getString(R.string.relink_unfinished)
    }
}
