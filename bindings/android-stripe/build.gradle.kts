// FinConn's optional Stripe adapter for Android: io.finconn.stripe.StripeSheetPresenter, the
// SheetPresenter that FlowClient.link drives, around Stripe's FinancialConnectionsSheet. Kept out of
// the :finconn module (bindings/android) so an app that presents Stripe's sheet itself, or uses no
// Stripe SDK, never depends on Stripe's SDK. See README.md.
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    // Exactly the versions bindings/android/build.gradle.kts (and android-sample) declare: Gradle
    // refuses one build asking for two versions of a plugin. Bump them together.
    id("com.android.library") version "8.13.2"
    id("org.jetbrains.kotlin.android") version "2.2.21"
}

group = "io.finconn"
version = providers.gradleProperty("finconnVersion").getOrElse("0.1.0-SNAPSHOT")

android {
    namespace = "io.finconn.stripe"
    compileSdk = 36

    defaultConfig {
        // stripe-android 23.x requires minSdk 23 (and compileSdk 36): its v23 migration notes.
        minSdk = 23
    }

    lint {
        abortOnError = true
    }

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    // Only src/main/java is compiled: jvm-stubs/ holds the JVM stand-ins of Stripe's SDK and
    // AndroidX that scripts/stripe-adapters-check.sh compiles the adapter against on Linux; they are
    // never part of this module.
}

kotlin {
    compilerOptions {
        // Warnings are errors in CI (scripts/stripe-adapters-check.sh: kotlinc -Werror against
        // the stand-ins), not here, so that a deprecation in a newer Stripe SDK never breaks an
        // app's build.
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    // The FinConn library (SheetPresenter, LinkEvents, SheetConfiguration, SheetResult,
    // CallbackException): the module bindings/android, included in the app's build as :finconn.
    api(project(":finconn"))
    // StripeSheetPresenter(activity: ComponentActivity) is public API: the app passes its activity.
    api("androidx.activity:activity:1.10.1")
    // Stripe's FinancialConnectionsSheet, at the version android-sample pins.
    implementation("com.stripe:financial-connections:23.19.0")
    // ProcessLifecycleOwner: the whole app leaving the foreground while the sheet is up.
    implementation("androidx.lifecycle:lifecycle-process:2.9.2")
    // withContext(Dispatchers.Main), CompletableDeferred (as :finconn).
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
}
