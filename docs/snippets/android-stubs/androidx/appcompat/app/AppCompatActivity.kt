// JVM stand-in for the Android SDK / AndroidX, for compiling the quickstart snippets of
// docs/quickstart-android.md (scripts/stripe-adapters-check.sh --kotlin): NOT Android, compile only,
// never run or packaged. Declares only what docs/snippets/android uses, with the shape of the public
// API as an app sees it from Kotlin (developer.android.com reference); not traced to a source commit,
// because these declarations only let the snippets compile: what is checked is their use of FinConn.
package androidx.appcompat.app

import android.content.Intent
import android.os.Bundle
import androidx.activity.ComponentActivity

/** `androidx.appcompat.app.AppCompatActivity` (an `Activity`): `onCreate`, `onNewIntent`, `getIntent()` / `setIntent()`. */
open class AppCompatActivity : ComponentActivity() {
    var intent: Intent? = null

    protected open fun onCreate(savedInstanceState: Bundle?) {}

    protected open fun onNewIntent(intent: Intent) {}
}
