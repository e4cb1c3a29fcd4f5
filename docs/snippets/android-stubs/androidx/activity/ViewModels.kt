// JVM stand-in for the Android SDK / AndroidX, for compiling the quickstart snippets of
// docs/quickstart-android.md (scripts/stripe-adapters-check.sh --kotlin): NOT Android, compile only,
// never run or packaged. Declares only what docs/snippets/android uses, with the shape of the public
// API as an app sees it from Kotlin (developer.android.com reference); not traced to a source commit,
// because these declarations only let the snippets compile: what is checked is their use of FinConn.
package androidx.activity

import androidx.lifecycle.ViewModel

/** `androidx.activity.viewModels()` (activity-ktx): the activity's view model, created on first use. */
@Suppress("UnusedReceiverParameter")
inline fun <reified VM : ViewModel> ComponentActivity.viewModels(): Lazy<VM> =
    lazy { throw UnsupportedOperationException("stand-in: no ${VM::class.java.simpleName} here") }
