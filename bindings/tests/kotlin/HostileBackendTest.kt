// The hostile-backend matrix on the Kotlin transport (PlatformHttpTransport, HttpURLConnection) on
// the JVM: the same table as core/tests/hostile_backend.rs (finconn_testkit::HOSTILE_CASES, exported
// by the `testing` build as hostileCases()), the same assertions. The JVM runs with a 384 MB heap
// (scripts/kotlin-tests.sh): a transport that buffered a 1 GiB body would fail with OutOfMemoryError.
package io.finconn.tests

import io.finconn.core.FinConnException
import io.finconn.FlowClient
import io.finconn.FlowClientConfig
import io.finconn.core.FlowEvent
import io.finconn.FlowListener
import io.finconn.HeadersProvider
import io.finconn.LogLevel
import io.finconn.Logger
import io.finconn.Permission
import io.finconn.PlatformHttpTransport
import io.finconn.SessionOptions
import io.finconn.SheetResult
import io.finconn.TestHostileCase
import io.finconn.TestHostileServer
import io.finconn.clearLogger
import io.finconn.hostileCases
import io.finconn.setLogger
import java.io.File
import java.net.HttpURLConnection
import java.net.URL
import java.nio.file.Files
import java.security.KeyStore
import java.security.cert.CertificateFactory
import java.util.Collections
import javax.net.ssl.HttpsURLConnection
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertTrue
import org.junit.Rule
import org.junit.Test
import org.junit.rules.Timeout

private const val HOSTILE_RETURN_URL = "finconn-test://stripe-redirect"

class HostileBackendTest {
    @get:Rule
    val timeout: Timeout = Timeout.seconds(300)

    /** The FinConnException class of an error code of the table. */
    private fun errorClass(code: String): Class<out FinConnException> =
        when (code) {
            "other" -> FinConnException.Other::class.java
            "timeout" -> FinConnException.Timeout::class.java
            "offline" -> FinConnException.Offline::class.java
            "service_unavailable" -> FinConnException.ServiceUnavailable::class.java
            "rejected" -> FinConnException.Rejected::class.java
            "invalid_configuration" -> FinConnException.InvalidConfiguration::class.java
            else -> throw AssertionError("unknown error code $code in the table")
        }

    /** Opens HttpsURLConnections whose only trusted root is [der]. */
    private fun trustingOnly(der: ByteArray): (URL) -> HttpURLConnection {
        val certificate = CertificateFactory.getInstance("X.509").generateCertificate(der.inputStream())
        val keyStore = KeyStore.getInstance(KeyStore.getDefaultType()).apply {
            load(null, null)
            setCertificateEntry("hostile", certificate)
        }
        val trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()).apply { init(keyStore) }
        val context = SSLContext.getInstance("TLS").apply { init(null, trust.trustManagers, null) }
        return { url -> (url.openConnection() as HttpsURLConnection).apply { sslSocketFactory = context.socketFactory } }
    }

    /** Runs one case; adds what went wrong to [failures] and what must hold no secret to [texts]. */
    private suspend fun run(case: TestHostileCase, failures: MutableList<String>, texts: MutableList<Pair<String, String>>) {
        val server = TestHostileServer.start(case.name)
        val dir: File = Files.createTempDirectory("finconn-hostile").toFile()
        val events = Collections.synchronizedList(mutableListOf<FlowEvent>())
        try {
            val headers =
                object : HeadersProvider {
                    override fun headers(): Map<String, String> =
                        buildMap {
                            put("Authorization", "Bearer ${server.userToken()}")
                            if (case.crlfHeader) put("X-Evil", "a\r\nX-Injected: 1")
                        }
                }
            val config =
                FlowClientConfig(
                    backendUrl = server.backendUrl(),
                    returnUrls = listOf(HOSTILE_RETURN_URL),
                    dataDir = dir.path,
                    stripeFallback = false,
                    connectTimeoutMs = 1_000L,
                    requestTimeoutMs = 1_500L,
                    maxAttempts = 2,
                    maxResponseBytes = case.maxResponseBytes,
                )
            // An https case: PlatformHttpTransport over HttpsURLConnections that trust the server's
            // self-signed certificate and nothing else (the custom-connection hook apps use).
            val transport = server.certificateDer()?.let { PlatformHttpTransport(trustingOnly(it)) } ?: PlatformHttpTransport()
            FlowClient.open(config, headers, transport).use { client ->
                client.addListener(
                    object : FlowListener {
                        override fun onEvent(event: FlowEvent) {
                            events.add(event)
                        }
                    },
                )
                val options = SessionOptions(permissions = listOf(Permission.BALANCES), returnUrl = HOSTILE_RETURN_URL)
                client.newFlow(options).use { flow ->
                    val thrown: Throwable? =
                        try {
                            val sheet = flow.start()
                            texts.add("${case.name}: sheet configuration" to sheet.toString())
                            if (case.stage == "complete") {
                                flow.sheetPresented()
                                flow.sheetResult(SheetResult.Completed)
                            }
                            null
                        } catch (e: Throwable) {
                            e
                        }
                    val expected = case.expectedError
                    when {
                        expected == null && thrown != null -> failures.add("${case.name}: expected success, got $thrown")
                        expected != null && thrown == null -> failures.add("${case.name}: expected $expected, got success")
                        expected != null && thrown != null -> {
                            if (!errorClass(expected).isInstance(thrown)) {
                                failures.add("${case.name}: expected $expected, got $thrown")
                            } else if (!errorReason(thrown as FinConnException).contains(case.messageContains)) {
                                failures.add("${case.name}: the reason does not say '${case.messageContains}': ${thrown.message}")
                            }
                            texts.add("${case.name}: exception toString" to thrown.toString())
                            texts.add("${case.name}: exception message" to (thrown.message ?: ""))
                        }
                    }
                    val snapshot = flow.snapshot()
                    for (secret in server.secrets()) {
                        if (!secret.startsWith("rt_") && snapshot.contains(secret)) failures.add("${case.name}: the snapshot holds $secret")
                    }
                }
            }
            if (server.otherHostConnections() != 0) failures.add("${case.name}: ${server.otherHostConnections()} connection(s) reached the other host")
            if (server.stealRequests() != 0) failures.add("${case.name}: the same-host redirect target was requested")
            if (case.tls && server.requests() == 0) failures.add("${case.name}: no request came over TLS: the https case did not test https")
            if (case.crlfHeader && server.requests() != 0) failures.add("${case.name}: a request was sent with a CR/LF header")
            events.forEach { texts.add("${case.name}: event" to it.toString()) }
        } finally {
            server.shutdown()
            server.close()
            dir.deleteRecursively()
        }
    }

    @Test
    fun everyHostileCaseGetsATypedErrorAndNothingElse() = runBlocking<Unit> {
        val lines = Collections.synchronizedList(mutableListOf<String>())
        setLogger(
            object : Logger {
                override fun log(level: LogLevel, target: String, message: String) {
                    lines.add("$level $target $message")
                }
            },
            LogLevel.TRACE,
        )
        val failures = mutableListOf<String>()
        val texts = mutableListOf<Pair<String, String>>()
        val cases = hostileCases()
        assertTrue("the table is not empty", cases.size >= 15)
        var secrets = emptyList<String>()
        try {
            for (case in cases) {
                val started = System.nanoTime()
                val before = failures.size
                run(case, failures, texts)
                println("%-45s %6d ms  %s".format(case.name, (System.nanoTime() - started) / 1_000_000, if (failures.size == before) "ok" else "FAILED"))
            }
            secrets = TestHostileServer.start(cases.first().name).use { it.secrets() }
        } finally {
            clearLogger()
        }
        texts.add("log lines" to lines.joinToString("\n"))
        for ((place, text) in texts) {
            for (secret in secrets) {
                if (text.contains(secret)) failures.add("$place shows a secret ($secret): $text")
            }
        }
        val peak = File("/proc/self/status").takeIf { it.exists() }?.readLines()?.firstOrNull { it.startsWith("VmHWM:") }
        println("peak RSS of the JVM after the matrix: $peak; max heap ${Runtime.getRuntime().maxMemory() / (1024 * 1024)} MB")
        assertTrue(failures.joinToString("\n"), failures.isEmpty())
    }

    /**
     * An https backend whose certificate the JVM does not trust: refused in the handshake, nothing
     * sent, and `FinConnException.Tls`: never "offline, retry later". The Swift twin runs on
     * Linux too.
     */
    @Test
    fun anUntrustedCertificateIsRefusedBeforeAnyRequest() = runBlocking<Unit> {
        val case = hostileCases().first { it.tls }
        val dir = Files.createTempDirectory("finconn-untrusted").toFile()
        val server = TestHostileServer.start(case.name)
        try {
            assertTrue(server.backendUrl().startsWith("https://"))
            val headers =
                object : HeadersProvider {
                    override fun headers(): Map<String, String> = mapOf("Authorization" to "Bearer ${server.userToken()}")
                }
            val config =
                FlowClientConfig(
                    backendUrl = server.backendUrl(),
                    returnUrls = listOf(HOSTILE_RETURN_URL),
                    dataDir = dir.path,
                    stripeFallback = false,
                    maxAttempts = 1,
                )
            FlowClient.open(config, headers, PlatformHttpTransport()).use { client ->
                val options = SessionOptions(permissions = listOf(Permission.BALANCES), returnUrl = HOSTILE_RETURN_URL)
                client.newFlow(options).use { flow ->
                    try {
                        val sheet = flow.start()
                        throw AssertionError("an untrusted certificate was accepted: $sheet")
                    } catch (e: FinConnException.Tls) {
                        assertTrue(e.toString(), e.reason.contains("TLS"))
                    }
                }
            }
            assertTrue("a request went through", server.requests() == 0)
            assertTrue("a connection reached the other host", server.otherHostConnections() == 0)
        } finally {
            server.shutdown()
            server.close()
            dir.deleteRecursively()
        }
    }
}
