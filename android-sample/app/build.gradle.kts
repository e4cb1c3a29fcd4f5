import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

// See gradle.properties; -PfinconnBackendUrl=... overrides it.
val finconnBackendUrl: String = providers.gradleProperty("finconnBackendUrl").getOrElse("http://127.0.0.1:4242")

android {
    namespace = "io.finconn.sample"
    // Same SDK level as the library module (bindings/android/build.gradle.kts).
    compileSdk = 35

    defaultConfig {
        applicationId = "io.finconn.sample"
        // The finconn library supports API 21. The app asks for 23: AndroidX releases since 2025,
        // which current Stripe SDKs pull in, require it. With an older Stripe SDK, 21 works.
        minSdk = 23
        targetSdk = 35
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

    // Stripe's Financial Connections SDK (FinancialConnectionsSheet), the version of Stripe's
    // current Android guide.
    implementation("com.stripe:financial-connections:23.5.0")

    implementation("androidx.appcompat:appcompat:1.7.0")
    implementation("androidx.activity:activity-ktx:1.9.3")
    implementation("androidx.recyclerview:recyclerview:1.3.2")
    // lifecycleScope (coroutines on the main thread, cancelled with the activity).
    implementation("androidx.lifecycle:lifecycle-runtime-ktx:2.8.7")
    // ProcessLifecycleOwner: tells when the whole app goes to the background (bank app, browser).
    implementation("androidx.lifecycle:lifecycle-process:2.8.7")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
}
