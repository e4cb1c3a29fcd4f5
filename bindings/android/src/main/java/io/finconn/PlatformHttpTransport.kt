// Hand-written part of the FinConn Android library (package io.finconn), beside the generated
// bindings. Runs on Android and on a desktop JVM (the JUnit tests in bindings/tests/kotlin).
// Its Swift twin is bindings/swift/Sources/FinConn/PlatformHttpTransport.swift: keep them in step.
package io.finconn

import io.finconn.core.HttpMethod
import java.io.ByteArrayOutputStream
import java.io.IOException
import java.io.InputStream
import java.net.ConnectException
import java.net.HttpURLConnection
import java.net.NoRouteToHostException
import java.net.SocketTimeoutException
import java.net.URL
import java.net.UnknownHostException
import javax.net.ssl.SSLException
import kotlin.coroutines.cancellation.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope

/**
 * The default [HttpTransport]: `java.net.HttpURLConnection`. On Android that is the platform's
 * own HTTP stack, so the app's trust store, Network Security Config (pinning, cleartext rules),
 * proxies and VPNs apply. It performs exactly the request the core decided:
 * - redirects are not followed: a 3xx is returned as the answer and the core refuses it;
 * - no cache, and `Accept-Encoding: identity` (the body is read as sent);
 * - the body is read in 8 KiB chunks and the read stops with [TransportException.TooLarge] as soon
 *   as it passes `maxResponseBytes()` (or at once when `Content-Length` is larger);
 * - connect timeout, a read timeout, and the total timeout checked between reads (a slow drip
 *   cannot outlast it);
 * - cancelled with its coroutine: the core's own deadline cancels it, which disconnects the socket.
 *
 * Cookies: HttpURLConnection attaches the cookies of the process-wide `CookieHandler`; Android
 * installs none. An app that sets one (`CookieHandler.setDefault`) should pass an OkHttp transport
 * with no `CookieJar` instead (see the module README). Nothing here logs a URL, header or body.
 *
 * @param openConnection how a connection is opened; pass one to use a custom `SSLSocketFactory`
 *   or `HostnameVerifier` (pinning) on `HttpsURLConnection`.
 */
class PlatformHttpTransport(
    private val openConnection: (URL) -> HttpURLConnection = { it.openConnection() as HttpURLConnection },
) : HttpTransport {
    override suspend fun send(request: HttpRequest): HttpResponse {
        val connection =
            try {
                openConnection(URL(request.url()))
            } catch (e: IOException) {
                throw classify(e)
            } catch (e: IllegalArgumentException) {
                throw TransportException.Other("invalid URL")
            }
        return coroutineScope {
            val call = async(Dispatchers.IO) { exchange(connection, request) }
            try {
                call.await()
            } catch (e: CancellationException) {
                // Unblocks the read on the IO thread; the coroutine then ends as cancelled.
                connection.disconnect()
                throw e
            } catch (e: TransportException) {
                connection.disconnect()
                throw e
            }
        }
    }

    private fun exchange(connection: HttpURLConnection, request: HttpRequest): HttpResponse {
        val started = System.nanoTime()
        val totalMs = request.timeoutMs()
        val cap = request.maxResponseBytes()
        try {
            connection.instanceFollowRedirects = false
            connection.useCaches = false
            connection.connectTimeout = clampMs(request.connectTimeoutMs())
            connection.readTimeout = clampMs(totalMs)
            connection.requestMethod =
                when (request.method()) {
                    HttpMethod.GET -> "GET"
                    HttpMethod.POST -> "POST"
                }
            for (name in request.headerNames()) {
                connection.setRequestProperty(name, request.headerValue(name) ?: continue)
            }
            connection.setRequestProperty("Accept-Encoding", "identity")
            val body = request.body()
            if (body != null) {
                connection.doOutput = true
                connection.setFixedLengthStreamingMode(body.size)
                connection.outputStream.use { it.write(body) }
            }
            val status = connection.responseCode
            if (status !in 100..599) throw TransportException.Other("not an HTTP response")
            if (connection.contentLengthLong > cap) throw TransportException.TooLarge(cap)
            val stream: InputStream? = if (status >= 400) connection.errorStream else connection.inputStream
            val bytes = stream?.use { readCapped(it, cap, started, totalMs) } ?: ByteArray(0)
            val headers =
                RESPONSE_HEADERS.mapNotNull { name -> connection.getHeaderField(name)?.let { name to it } }.toMap()
            return HttpResponse(status, headers, bytes)
        } catch (e: TransportException) {
            throw e
        } catch (e: IOException) {
            throw classify(e)
        } catch (e: RuntimeException) {
            throw TransportException.Other(e.javaClass.simpleName)
        }
    }

    private fun readCapped(stream: InputStream, cap: Long, started: Long, totalMs: Long): ByteArray {
        val out = ByteArrayOutputStream()
        val chunk = ByteArray(8 * 1024)
        while (true) {
            val n = stream.read(chunk)
            if (n < 0) return out.toByteArray()
            if (out.size().toLong() + n > cap) throw TransportException.TooLarge(cap)
            out.write(chunk, 0, n)
            if ((System.nanoTime() - started) / 1_000_000 > totalMs) {
                throw TransportException.Timeout("the answer took longer than ${totalMs} ms")
            }
        }
    }

    companion object {
        /** The response headers the core reads (`responseHeaderNames()`, decided by the core); the transport returns only these. */
        val RESPONSE_HEADERS: List<String> = responseHeaderNames()

        private fun clampMs(ms: Long): Int = ms.coerceIn(1, Int.MAX_VALUE.toLong()).toInt()

        /** Exception type and message; the core scrubs it and strips the URL. */
        private fun classify(e: IOException): TransportException {
            val what = "${e.javaClass.simpleName}: ${e.message ?: ""}"
            return when (e) {
                is SocketTimeoutException -> TransportException.Timeout(what)
                is SSLException -> TransportException.Tls(what)
                is UnknownHostException, is ConnectException, is NoRouteToHostException -> TransportException.Offline(what)
                else -> TransportException.Offline(what)
            }
        }
    }
}

/**
 * Opens a [FlowClient] over the platform's HTTP stack ([PlatformHttpTransport]):
 * `FlowClient.open(config, headers)` (with `import io.finconn.open`). Suspends while the client
 * opens its directories in `dataDir`, on the library's executor, never on the caller's thread.
 * Pass a transport to the three-argument `FlowClient.open` to use your own (OkHttp with
 * interceptors and a `CertificatePinner`).
 */
suspend fun FlowClient.Companion.open(config: FlowClientConfig, headers: HeadersProvider? = null): FlowClient =
    open(config, headers, PlatformHttpTransport())
