// XCTest tests of the generated Swift bindings against the pipeline self-test exports of
// finconn-ffi (bindings/ffi/src/selftest.rs). macOS only: `swift test` in bindings/swift after
// build-xcframework.sh. Mirrors bindings/tests/kotlin/SelftestBindingsTest.kt.
import XCTest

import FinConn

final class FinConnTests: XCTestCase {
    func testCoreVersionIsSemver() {
        let version = coreVersion()
        XCTAssertNotNil(
            version.range(of: #"^\d+\.\d+\.\d+([-+].*)?$"#, options: .regularExpression),
            "not a semver: \(version)"
        )
    }

    func testAsyncFunctionCompletesOnTheTokioRuntime() async throws {
        // tokio::time::sleep panics without a Tokio reactor: success proves async_runtime = "tokio".
        let echoed = try await selftestEchoAfter(delayMs: 20, message: "hello")
        XCTAssertEqual(echoed, "hello")
    }

    func testConcurrentAsyncCallsAllComplete() async throws {
        let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 1...32 {
                group.addTask {
                    let message = try await selftestEchoAfter(delayMs: UInt64(i % 5), message: "m\(i)")
                    return (i, message)
                }
            }
            var collected: [Int: String] = [:]
            for try await (i, message) in group {
                collected[i] = message
            }
            return collected
        }
        XCTAssertEqual(results.count, 32)
        for i in 1...32 {
            XCTAssertEqual(results[i], "m\(i)")
        }
    }

    func testAsyncErrorIsTypedError() async {
        do {
            _ = try await selftestEchoAfter(delayMs: 0, message: "")
            XCTFail("expected SelftestError.InvalidInput")
        } catch let SelftestError.InvalidInput(reason) {
            XCTAssertEqual(reason, "message is empty")
        } catch {
            XCTFail("unexpected error \(error)")
        }
    }

    func testSyncErrorIsTypedError() throws {
        XCTAssertEqual(try selftestCheckNonNegative(value: 7), 7)
        XCTAssertThrowsError(try selftestCheckNonNegative(value: -3)) { error in
            guard case let SelftestError.InvalidInput(reason) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertTrue(reason.contains("-3"), reason)
        }
    }

    func testPanicBecomesAnErrorNotACrash() throws {
        // Only `throws` (Result-returning) exports turn a panic into an error: UniFFI calls
        // non-throwing exports with `try!`, so a panic there would crash this test process.
        XCTAssertThrowsError(try selftestPanic(message: "boom from XCTest")) { error in
            XCTAssertFalse(error is SelftestError, "a panic must not look like a typed error")
            XCTAssertTrue(
                error.localizedDescription.contains("boom from XCTest"),
                "panic message lost: \(error.localizedDescription)"
            )
        }
        // The library is still usable after a caught panic.
        XCTAssertEqual(try selftestCheckNonNegative(value: 1), 1)
    }
}
