// JVM stand-in for the Android SDK / AndroidX, for compiling the quickstart snippets of
// docs/quickstart-android.md (scripts/stripe-adapters-check.sh --kotlin): NOT Android, compile only,
// never run or packaged. Declares only what docs/snippets/android uses, with the shape of the public
// API as an app sees it from Kotlin (developer.android.com reference); not traced to a source commit,
// because these declarations only let the snippets compile: what is checked is their use of FinConn.
package android.app

import java.io.File

/** `android.app.Application` (a `Context`): `getPackageName()`, `getNoBackupFilesDir()`, `onCreate()`. */
open class Application {
    val packageName: String
        get() = throw UnsupportedOperationException("stand-in")
    val noBackupFilesDir: File
        get() = throw UnsupportedOperationException("stand-in")

    open fun onCreate() {}
}
