// Plugin versions for the whole build, loaded once here so that :app and :finconn share one
// Android Gradle plugin. They must be exactly the versions bindings/android/build.gradle.kts
// declares (Gradle rejects a subproject asking for a different version of a plugin that is already
// on the build's classpath): bump both files together.
plugins {
    id("com.android.application") version "8.7.3" apply false
    id("com.android.library") version "8.7.3" apply false
    id("org.jetbrains.kotlin.android") version "2.1.21" apply false
}
