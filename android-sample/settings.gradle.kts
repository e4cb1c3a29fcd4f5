// Android sample of finconn: an app module plus the project's own library module
// (bindings/android) and its optional Stripe adapter (bindings/android-stripe), included as
// subprojects so the sample always builds against the working tree's Rust core, generated Kotlin
// bindings and adapter.
//
// Before the first Gradle sync run bindings/android/build-android.sh --no-gradle (see README.md):
// it builds libfinconn_ffi.so for every ABI and generates the Kotlin bindings into the library.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "finconn-android-sample"

include(":app")

// The library module lives outside this directory. Its own settings.gradle.kts (for building the
// AAR alone) is not read here; its build.gradle.kts declares the Android and Kotlin plugins with
// versions, which must stay equal to the ones in this directory's build.gradle.kts.
include(":finconn")
project(":finconn").projectDir = file("../bindings/android")

// FinConn's Stripe adapter (io.finconn.stripe.StripeSheetPresenter), outside this directory too,
// included the same way; it depends on :finconn and declares the same plugin versions.
include(":finconn-stripe")
project(":finconn-stripe").projectDir = file("../bindings/android-stripe")
