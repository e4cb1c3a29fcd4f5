// FinConn Android library: the UniFFI-generated Kotlin (package io.finconn) plus libfinconn_ffi.so
// for arm64-v8a, armeabi-v7a, x86_64 and x86. Built by bindings/android/build-android.sh.
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    // AGP 8.13 needs Gradle 8.13+ and JDK 17. Kotlin 2.2: the version stripe-android 23.x builds
    // with (its artifacts carry Kotlin 2.2 metadata), so an app on either compiles against both.
    id("com.android.library") version "8.13.2"
    id("org.jetbrains.kotlin.android") version "2.2.21"
    `maven-publish`
}

group = "io.finconn"
// build-android.sh passes -PfinconnVersion=<[workspace.package] version of the Cargo workspace>.
version = providers.gradleProperty("finconnVersion").getOrElse("0.1.0-SNAPSHOT")

android {
    namespace = "io.finconn"
    compileSdk = 36
    // build-android.sh builds the .so files with this NDK too (it reads the value from here and
    // checks the NDK's source.properties), so Gradle and cargo never use two different NDKs.
    ndkVersion = "27.3.13750724"

    defaultConfig {
        // build-android.sh reads this for `cargo ndk --platform` (the API level the .so targets).
        // Apps using stripe-android 23.x need minSdk 23 anyway; the library itself runs from 21.
        minSdk = 21
        consumerProguardFiles("consumer-rules.pro")
    }

    lint {
        // lint.xml: NewApi is ignored in the generated bindings only (see there).
        lintConfig = file("lint.xml")
        abortOnError = true
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
