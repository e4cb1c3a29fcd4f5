import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

// See gradle.properties; -PfinconnBackendUrl=... overrides it.
val finconnBackendUrl: String = providers.gradleProperty("finconnBackendUrl").getOrElse("http://127.0.0.1:4242")

android {
    namespace = "io.finconn.sample"
    // stripe-android 23.x requires compileSdk/targetSdk 36 and minSdk 23 (its v23 migration
    // notes, stripe-android PR #12580). The finconn library itself supports API 21.
    compileSdk = 36

    defaultConfig {
        applicationId = "io.finconn.sample"
        minSdk = 23
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"
        buildConfigField("String", "FINCONN_BACKEND_URL", "\"$finconnBackendUrl\"")
    }

    buildFeatures {
        buildConfig = true
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
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    // The shared Rust core: UniFFI-generated Kotlin (package io.finconn) + libfinconn_ffi.so.
    implementation(project(":finconn"))
    // Its Stripe adapter: StripeSheetPresenter, the SheetPresenter FlowClient.link drives.
    implementation(project(":finconn-stripe"))

    // Stripe's Financial Connections SDK (FinancialConnectionsSheet), which the adapter presents:
    // pinned by the app too, so that the app decides which Stripe SDK it ships (Gradle takes the
    // higher of this and the adapter's). The newest 23.x found (stripe-android PR #14568,
    // 2026-09-15). See README.md for the versions and why.
    implementation("com.stripe:financial-connections:23.19.0")

    implementation("androidx.appcompat:appcompat:1.7.1")
    // viewModels(), registerForActivityResult.
    implementation("androidx.activity:activity-ktx:1.10.1")
    implementation("androidx.recyclerview:recyclerview:1.3.2")
    // lifecycleScope (coroutines on the main thread, cancelled with the activity).
    implementation("androidx.lifecycle:lifecycle-runtime-ktx:2.9.2")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
}
