// Stand-alone Gradle build of the Stripe adapter (AAR), with the FinConn library module it depends
// on. In an app's build, include both modules instead (README.md). Run
// bindings/android/build-android.sh --no-gradle first: it puts the Rust .so files and the generated
// Kotlin into bindings/android.
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

rootProject.name = "finconn-android-stripe"

include(":finconn")
project(":finconn").projectDir = file("../android")
