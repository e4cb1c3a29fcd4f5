// FinConn Android library: the UniFFI-generated Kotlin (package io.finconn) plus libfinconn_ffi.so
// for arm64-v8a, armeabi-v7a, x86_64 and x86. Built by bindings/android/build-android.sh.
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.21"
    `maven-publish`
}

group = "io.finconn"
// build-android.sh passes -PfinconnVersion=<[workspace.package] version of the Cargo workspace>.
version = providers.gradleProperty("finconnVersion").getOrElse("0.1.0-SNAPSHOT")

android {
    namespace = "io.finconn"
    compileSdk = 35

    defaultConfig {
        // Keep in step with MIN_SDK in build-android.sh (cargo ndk --platform).
        minSdk = 21
        consumerProguardFiles("consumer-rules.pro")
    }

    buildTypes {
        release {
            // The library is not shrunk itself; apps shrink it with consumer-rules.pro.
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    // src/main/kotlin (generated, gitignored) and src/main/java (hand-written) are the default
    // Kotlin source directories; src/main/jniLibs is the default native library directory.

    publishing {
        singleVariant("release") {
            withSourcesJar()
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    // UniFFI's Kotlin calls into Rust through JNA. The @aar artifact carries JNA's own native
    // libjnidispatch.so for every Android ABI (the plain jar only has desktop ones).
    implementation("net.java.dev.jna:jna:5.18.1@aar")
    // Async Rust functions are `suspend fun`s built on kotlinx-coroutines.
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
}

publishing {
    publications {
        register<MavenPublication>("release") {
            groupId = "io.finconn"
            artifactId = "finconn"
            afterEvaluate {
                from(components["release"])
            }
            pom {
                name.set("FinConn")
                description.set("Stripe Financial Connections core (Rust, via UniFFI) for Android")
                licenses {
                    license {
                        name.set("MIT OR Apache-2.0")
                    }
                }
            }
        }
    }
    repositories {
        // ./gradlew publishReleasePublicationToLocalRepository -> build/repo (default target);
        // add the real repository here when there is one.
        maven {
            name = "local"
            url = uri(layout.buildDirectory.dir("repo"))
        }
    }
}
