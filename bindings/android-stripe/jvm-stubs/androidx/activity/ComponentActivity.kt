// JVM stand-in for androidx.activity (androidx.activity:activity), for
// scripts/stripe-adapters-check.sh: NOT AndroidX, compile only, never packaged (Gradle builds the
// module against the real library). Declares only what bindings/android-stripe uses.
//
// Traced to AndroidX public source (https://github.com/androidx/androidx): the API signature files
// activity/activity/api/1.9.0-beta01.txt and 1.11.0-beta01.txt (AndroidX freezes a release line's
// API at beta; the module pins 1.10.1, between the two), commit
// a9b06aaf32dbcf83aa12e3f8185a109d14fbe8e9 for 1.11.0-beta01.
package androidx.activity

import androidx.lifecycle.Lifecycle
import androidx.lifecycle.LifecycleOwner

/**
 * 1.11.0-beta01.txt: `public class ComponentActivity extends android.app.Activity implements …
 * androidx.lifecycle.LifecycleOwner …` with `method public androidx.lifecycle.Lifecycle
 * getLifecycle();` / `property public androidx.lifecycle.Lifecycle lifecycle;`. The adapter takes one
 * (handed on to `FinancialConnectionsSheet.create`) and reads its `lifecycle`; `android.app.Activity`
 * and the other interfaces are left out.
 */
open class ComponentActivity : LifecycleOwner {
    override val lifecycle: Lifecycle
        get() = throw UnsupportedOperationException("JVM stand-in of androidx.activity: compile only")
}
