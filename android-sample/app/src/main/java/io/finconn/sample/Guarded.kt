package io.finconn.sample

import io.finconn.core.FinConnException
import io.finconn.InternalException

/**
 * The one place the app catches the core's errors, around every call into it that can throw: a
 * [FinConnException], or the [InternalException] UniFFI throws for a panic inside the Rust library
 * (unchecked, so easy to miss). [onError] receives it and the result is null.
 *
 * Inline, so [block] may call the core's suspend functions when the caller is a coroutine (every
 * `viewModelScope.launch` goes through here); coroutine cancellation is not caught.
 */
inline fun <T> guarded(onError: (Exception) -> Unit, block: () -> T): T? =
    try {
        block()
    } catch (e: FinConnException) {
        onError(e)
        null
    } catch (e: InternalException) {
        onError(e)
        null
    }
