// Plugin versions for the whole build, loaded once here so that :app, :finconn and
// :finconn-stripe share one Android Gradle plugin:
//   * AGP 8.13.2 (needs Gradle 8.13, see gradle/wrapper/gradle-wrapper.properties); AGP 8.9.1 is
//     the first to support API 36, which stripe-android 23.x requires (app/build.gradle.kts).
//   * Kotlin 2.2.21: stripe-android 23.2+ is built with it (23.0-23.1 carried Kotlin 2.3 metadata,
//     stripe-react-native #2354); Kotlin 2.2 needs AGP 8.10 or newer.
// bindings/android/build.gradle.kts (the :finconn module) and bindings/android-stripe/build.gradle.kts
// (:finconn-stripe) must declare exactly these versions: Gradle rejects a subproject asking for a
// different version of a plugin that is already on the build's classpath. Bump the three files
// together.
plugins {
    id("com.android.application") version "8.13.2" apply false
    id("com.android.library") version "8.13.2" apply false
    id("org.jetbrains.kotlin.android") version "2.2.21" apply false
}
