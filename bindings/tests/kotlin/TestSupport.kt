// Helpers shared by the JUnit classes (the Swift tests have theirs in TestSupport.swift).
package io.finconn.tests

import io.finconn.TestSimulator
import io.finconn.core.FinConnException
import java.io.File
import java.nio.file.Files
import org.junit.After
import org.junit.Before
import org.junit.Rule
import org.junit.rules.Timeout

/** The reason every FinConnException carries. */
internal fun errorReason(e: FinConnException): String =
    when (e) {
        is FinConnException.Other -> e.reason
        is FinConnException.Timeout -> e.reason
        is FinConnException.Offline -> e.reason
        is FinConnException.Tls -> e.reason
        is FinConnException.ServiceUnavailable -> e.reason
        is FinConnException.Rejected -> e.reason
        is FinConnException.InvalidConfiguration -> e.reason
        is FinConnException.Unauthorized -> e.reason
        is FinConnException.InvalidState -> e.reason
        is FinConnException.SnapshotUnusable -> e.reason
        is FinConnException.Storage -> e.reason
    }

/**
 * The public error code (`Error::code()` in Rust) of a FinConnException. Exhaustive on purpose:
 * a new error case must be given its code here.
 */
internal fun errorCode(e: FinConnException): String =
    when (e) {
        is FinConnException.Other -> "other"
        is FinConnException.Timeout -> "timeout"
        is FinConnException.Offline -> "offline"
        is FinConnException.Tls -> "tls"
        is FinConnException.ServiceUnavailable -> "service_unavailable"
        is FinConnException.Rejected -> "rejected"
        is FinConnException.InvalidConfiguration -> "invalid_configuration"
        is FinConnException.Unauthorized -> "unauthorized"
        is FinConnException.InvalidState -> "invalid_state"
        is FinConnException.SnapshotUnusable -> "snapshot_unusable"
        is FinConnException.Storage -> "storage"
    }

/**
 * What every suite against the loopback simulator shares: a simulator and a fresh data directory
 * per test (named after [dirPrefix]), both gone after it, and a 120 s bound on each test (an async
 * call whose waker never fired would hang the JVM: fail instead).
 */
abstract class SimulatorFixture(private val dirPrefix: String) {
    @get:Rule
    val timeout: Timeout = Timeout.seconds(120)

    protected lateinit var sim: TestSimulator
    protected lateinit var dataDir: File

    @Before
    fun startSimulator() {
        sim = TestSimulator.start()
        dataDir = Files.createTempDirectory(dirPrefix).toFile()
    }

    @After
    fun stopSimulator() {
        sim.shutdown()
        sim.close()
        dataDir.deleteRecursively()
    }
}
