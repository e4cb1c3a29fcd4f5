// Stand-alone Gradle build of the FinConn Android library (AAR). Run bindings/android/build-android.sh
// first: it puts the Rust .so files in src/main/jniLibs and the generated Kotlin in src/main/kotlin.
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

rootProject.name = "finconn-android"
