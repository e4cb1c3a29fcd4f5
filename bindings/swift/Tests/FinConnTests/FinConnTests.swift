// XCTest tests of the generated Swift bindings (module FinConn) against the real finconn-ffi
// library, built with the cargo feature `testing` so that the loopback simulator (`TestSimulator`:
// merchant backend + Stripe on 127.0.0.1) and `testingPanic` exist. Each test drives a whole flow
// the way an iOS app would: FlowClient → Flow.start → (the simulated sheet) → handleUrl →
// sheetResult → FlowResult.
//
// macOS only: `bindings/swift/build-xcframework.sh --testing` (never the shipped XCFramework: the
// default build has no `testing` feature, so this file would not compile against it), which ends
// with `swift build && swift test`. Mirrors bindings/tests/kotlin/FlowBindingsTest.kt test for test;
// extend both together.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import XCTest

import FinConn

private let returnURL = "finconn-test://stripe-redirect"
private let appID = "com.example.app"

/// `Authorization` header of every backend call (HeadersProvider is a Sendable protocol: no state).
private final class UserToken: HeadersProvider {
    func headers() -> [String: String] {
        ["Authorization": "Bearer swift-user"]
    }
}

/// Thread-safe list: listeners and loggers are called on Rust's threads.
private final class Recorder<Element>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Element] = []

    func append(_ item: Element) {
        lock.lock()
        defer { lock.unlock() }
        items.append(item)
    }

    var all: [Element] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}

private final class EventListener: FlowListener, @unchecked Sendable {
    let events = Recorder<FlowEvent>()

    func onEvent(event: FlowEvent) {
        events.append(event)
    }
}

private final class LineLogger: Logger, @unchecked Sendable {
    let lines = Recorder<String>()

    func log(level: LogLevel, target: String, message: String) {
        lines.append("\(level) \(target) \(message)")
    }
}

/// A headers provider with nothing to give: it throws.
private final class ThrowingHeaders: HeadersProvider, @unchecked Sendable {
    static let reason = "signed out; refresh token rt-private-4242 expired"

    func headers() throws -> [String: String] {
        throw CallbackError.Failed(reason: ThrowingHeaders.reason)
    }
}

private struct ListenerFailure: Error {}

/// A listener that throws on every event.
private final class ThrowingListener: FlowListener, @unchecked Sendable {
    func onEvent(event: FlowEvent) throws {
        throw ListenerFailure()
    }
}

/// A logger that throws on every line.
private final class ThrowingLogger: Logger, @unchecked Sendable {
    func log(level: LogLevel, target: String, message: String) throws {
        throw CallbackError.Failed(reason: "disk full")
    }
}

/// Hands the first value offered to the one waiting for it; later offers are dropped.
private final class Once<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var taker: ((Value) -> Void)?
    private var done = false

    func onFirst(_ take: @escaping (Value) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        taker = take
    }

    func offer(_ value: Value) {
        lock.lock()
        guard !done, let take = taker else {
            lock.unlock()
            return
        }
        done = true
        taker = nil
        lock.unlock()
        take(value)
    }
}

/// A thread-safe counter.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() {
        lock.lock()
        defer { lock.unlock() }
        count += 1
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}

/// A headers provider that blocks its thread for `seconds` on every call (a token refresh gone wrong).
private final class BlockingHeaders: HeadersProvider, @unchecked Sendable {
    private let seconds: UInt32
    private let counter = Counter()

    init(seconds: UInt32) {
        self.seconds = seconds
    }

    var calls: Int { counter.value }

    func headers() -> [String: String] {
        counter.increment()
        sleep(seconds)
        return ["Authorization": "Bearer swift-user"]
    }
}

/// A listener that blocks `seconds` on its first event (a UI hop gone wrong), then records.
private final class BlockingListener: FlowListener, @unchecked Sendable {
    private let seconds: UInt32
    private let first = Counter()
    let events = Recorder<FlowEvent>()

    init(seconds: UInt32) {
        self.seconds = seconds
    }

    func onEvent(event: FlowEvent) {
        first.increment()
        if first.value == 1 {
            sleep(seconds)
        }
        events.append(event)
    }
}

/// A logger that blocks `seconds` on its first line, then records the messages.
private final class BlockingLogger: Logger, @unchecked Sendable {
    private let seconds: UInt32
    private let first = Counter()
    let lines = Recorder<String>()

    init(seconds: UInt32) {
        self.seconds = seconds
    }

    func log(level: LogLevel, target: String, message: String) {
        first.increment()
        if first.value == 1 {
            sleep(seconds)
        }
        lines.append(message)
    }
}

/// The `FinConnError` an async call throws: `XCTAssertThrowsError` cannot `await`.
private func finConnError<T>(
    _ call: () async throws -> T,
    file: StaticString = #filePath,
    line: UInt = #line
) async -> FinConnError? {
    do {
        let value = try await call()
        XCTFail("expected a FinConnError, got \(value)", file: file, line: line)
    } catch let error as FinConnError {
        return error
    } catch {
        XCTFail("expected a FinConnError, got \(error)", file: file, line: line)
    }
    return nil
}

/// The one element matching `predicate` (Kotlin's `single { }`).
private func single<T>(
    _ items: [T],
    file: StaticString = #filePath,
    line: UInt = #line,
    where predicate: (T) -> Bool
) throws -> T {
    let matching = items.filter(predicate)
    XCTAssertEqual(matching.count, 1, "expected exactly one match", file: file, line: line)
    return try XCTUnwrap(matching.first, file: file, line: line)
}

final class FinConnTests: SimulatorTestCase {

    private func newClient() async throws -> FlowClient {
        try await FlowClient.open(
            config: FlowClientConfig(
                backendUrl: sim.backendUrl(),
                returnUrls: [returnURL],
                androidAppId: appID,
                dataDir: dataDir.path,
                stripeApiUrl: sim.backendUrl(),
                requestTimeoutMs: 5_000,
                maxAttempts: 4
            ),
            headers: UserToken()
        )
    }

    private func options(relink: RelinkRequest? = nil) -> SessionOptions {
        SessionOptions(permissions: [.balances, .paymentMethod], relink: relink, returnUrl: returnURL)
    }

    /// start → present → the user at `institution` → deep link → the sheet's result.
    private func runFlow(
        _ client: FlowClient,
        _ institution: String,
        options opts: SessionOptions? = nil
    ) async throws -> FlowResult {
        let flow = try client.newFlow(options: opts ?? options())
        let sheet = try await flow.start()
        try await flow.sheetPresented()
        let done = try sim.completeSheet(sessionId: sheet.sessionId(), institution: institution)
        if let redirect = done.redirectUrl {
            let handled = try await flow.handleUrl(url: redirect)
            XCTAssertTrue(handled.isFlowUrl, redirect)
        }
        let result: SheetResult
        switch done.outcome {
        case "completed": result = .completed
        case "canceled": result = .canceled
        default: result = .failed(error: done.errorCode ?? "unexpected_error")
        }
        return try await flow.sheetResult(result: result)
    }

    func testSuccessLinksThreeAccountsWithOneSessionAndOneReport() async throws {
        let client = try await newClient()
        let result = try await runFlow(client, "success_three")
        XCTAssertEqual(result.status, .completed)
        XCTAssertEqual(result.source, .server)
        XCTAssertEqual(result.accounts.count, 3)
        let checking = try XCTUnwrap(result.accounts.first)
        XCTAssertEqual(checking.displayLine, "\(checking.institutionName) •••• \(checking.last4 ?? "")")
        XCTAssertTrue(result.accounts.allSatisfy { $0.status == .active })
        XCTAssertEqual(try sim.sessionsCreated(), 1)
        XCTAssertEqual(try sim.reportsReceived(sessionId: XCTUnwrap(result.sessionId)), 1)
        // The backend now lists the same accounts.
        let listed = try await client.listAccounts()
        XCTAssertEqual(Set(listed.map(\.id)), Set(result.accounts.map(\.id)))
    }

    func testExitEarlyIsCanceledWithNoAccounts() async throws {
        let result = try await runFlow(newClient(), "exit_early")
        XCTAssertEqual(result.status, .canceled)
        XCTAssertTrue(result.accounts.isEmpty)
        XCTAssertNil(result.relink)
    }

    func testRelinkRepairsTheInactiveAccount() async throws {
        let client = try await newClient()
        let first = try await runFlow(client, "inactive_needs_relink")
        let broken = try single(first.accounts) { $0.needsRelinkNow }
        XCTAssertEqual(broken.status, .inactive)
        XCTAssertNotNil(
            first.accounts.first { $0.relinkRequiredByUnixSeconds != nil },
            "an active account warns before deactivation"
        )
        let relink = RelinkRequest(
            authorization: try XCTUnwrap(broken.authorization),
            account: broken.id,
            knownAccountIds: first.accounts.map(\.id)
        )
        let result = try await runFlow(client, "relink_same", options: options(relink: relink))
        XCTAssertEqual(result.status, .completed)
        switch result.relink {
        case let .relinked(authorization, _, _)?:
            XCTAssertEqual(authorization, broken.authorization)
        default:
            XCTFail("expected RelinkOutcome.relinked, got \(String(describing: result.relink))")
        }
        XCTAssertEqual(try single(result.accounts) { $0.id == broken.id }.status, .active)
    }

    func testRelinkFailureReasonsArriveTyped() async throws {
        let client = try await newClient()
        let first = try await runFlow(client, "inactive_needs_relink")
        let broken = try single(first.accounts) { $0.needsRelinkNow }
        let relink = RelinkRequest(authorization: try XCTUnwrap(broken.authorization))
        let result = try await runFlow(client, "relink_no_authorization", options: options(relink: relink))
        XCTAssertEqual(result.status, .canceled)
        XCTAssertEqual(result.relink, .failed(reason: "no_authorization"))
    }

    func testHostileDeepLinksAreRejectedAndRealOnesAccepted() async throws {
        let client = try await newClient()
        let flow = try client.newFlow(options: options())
        let sheet = try await flow.start()
        try await flow.sheetPresented()
        let hostile = [
            "finconn-test://stripe-redirect.evil.com/?status=success",
            "finconn-test://evil@stripe-redirect?status=success",
            "finconn-test:\\\\stripe-redirect",
            "finconn-test://stripe-redirect/%00",
            "intent://stripe-redirect#Intent;scheme=finconn-test;end",
            "https://stripe-redirect.example/?redirect=finconn-test://stripe-redirect",
            "stripe-auth://link-accounts/com.evil.app/success",
            "finconn-test://stripe-redirect/" + String(repeating: "a", count: 10_000),
            "",
        ]
        for url in hostile {
            let handling = try await flow.handleUrl(url: url)
            XCTAssertFalse(handling.isFlowUrl, "should reject \(url)")
            XCTAssertFalse(handling.recorded)
            XCTAssertNotNil(handling.rejectReason, "a reason for \(url)")
        }
        XCTAssertEqual(flow.phase(), .presenting)
        let ok = try await flow.handleUrl(url: "\(returnURL)?status=success&session_id=\(sheet.sessionId())&extra=1")
        XCTAssertTrue(ok.isFlowUrl)
        XCTAssertTrue(ok.recorded)
        XCTAssertEqual(ok.hints?.status, "success")
        let android = try checkReturnUrl(
            url: "stripe-auth://link-accounts/\(appID)/success?x=1",
            returnUrls: [returnURL],
            androidAppId: appID
        )
        XCTAssertEqual(android.kind, .stripeAndroid)
        let lookAlike = try client.checkUrl(url: "FINCONN-TEST://stripe-redirect.attacker.io")
        XCTAssertFalse(lookAlike.matched)
        XCTAssertNotNil(lookAlike.rejectMessage)
    }

    func testBackendRejectionIsATypedError() async throws {
        let client = try await newClient()
        try sim.pushFault(endpointName: "create_session", faultSpec: "status:400", count: 1)
        let flow = try client.newFlow(options: options())
        switch await finConnError({ try await flow.start() }) {
        case let .Rejected(status, _, _)?:
            XCTAssertEqual(status, 400)
        case let other:
            XCTFail("expected FinConnError.Rejected, got \(String(describing: other))")
        }
        XCTAssertEqual(flow.phase(), .failed)
        XCTAssertEqual(try sim.sessionsCreated(), 0)
    }

    func testErrorsCarryAStableCodeAndResultsPrintTheirContent() async throws {
        let client = try await newClient()
        try sim.pushFault(endpointName: "create_session", faultSpec: "status:400", count: 1)
        let flow = try client.newFlow(options: options())
        guard let error = await finConnError({ try await flow.start() }) else { return }
        // Every error answers code(), requestId() and isRetryable(), whatever its case.
        XCTAssertEqual(error.code(), "rejected")
        if case let .Rejected(_, _, requestId) = error {
            XCTAssertEqual(error.requestId(), requestId)
        } else {
            XCTFail("expected FinConnError.Rejected, got \(error)")
        }
        XCTAssertFalse(error.isRetryable())
        XCTAssertThrowsError(try client.newFlow(options: SessionOptions(permissions: []))) { thrown in
            XCTAssertEqual((thrown as? FinConnError)?.code(), "invalid_configuration")
            XCTAssertNil((thrown as? FinConnError)?.requestId())
        }
        // Results print their case and fields.
        XCTAssertEqual(String(describing: FeatureOutcome.tooSoon(retryAtUnixSeconds: 5)), "TooSoon { retry_at_unix_seconds: 5 }")
        XCTAssertEqual(String(describing: SheetResult.failed(error: "boom")), "Failed { error: \"boom\" }")
        XCTAssertEqual(String(describing: AccountAction.disconnected), "Disconnected")
    }

    func testCoreDefaultsMatchTheGeneratedOnes() throws {
        // What Swift shows as defaults is what the Rust core uses: written once, in the core.
        let generated = FlowClientConfig(backendUrl: "https://api.example.com", returnUrls: [returnURL], dataDir: "/data")
        XCTAssertEqual(
            testingCoreDefaults(backendUrl: "https://api.example.com", returnUrls: [returnURL], dataDir: "/data"),
            generated
        )
        XCTAssertEqual(testingCoreBackendEndpoints(), BackendEndpoints())
        XCTAssertTrue(generated.stripeFallback, "the Stripe fallback is on by default")
    }

    func testOutageIsServiceUnavailableAndStartingAgainMakesOneSession() async throws {
        let client = try await newClient()
        try sim.pushFault(endpointName: "create_session", faultSpec: "status:503", count: 4)
        let flow = try client.newFlow(options: options())
        switch await finConnError({ try await flow.start() }) {
        case let .ServiceUnavailable(status, _, _, _)?:
            XCTAssertEqual(status, 503)
        case let other:
            XCTFail("expected FinConnError.ServiceUnavailable, got \(String(describing: other))")
        }
        XCTAssertEqual(flow.phase(), .creatingSession)
        _ = try await flow.start()
        XCTAssertEqual(flow.phase(), .ready)
        XCTAssertEqual(try sim.sessionsCreated(), 1)
    }

    func testFlakyBackendStillMeansOneSessionAndOneReport() async throws {
        try sim.pushFault(endpointName: "create_session", faultSpec: "reset", count: 1)
        try sim.pushFault(endpointName: "create_session", faultSpec: "reset_after_commit", count: 1)
        try sim.pushFault(endpointName: "complete", faultSpec: "malformed_json_after_commit", count: 1)
        try sim.pushFault(endpointName: "complete", faultSpec: "status:502", count: 1)
        let result = try await runFlow(newClient(), "success_one")
        XCTAssertEqual(result.status, .completed)
        XCTAssertEqual(result.accounts.count, 1)
        XCTAssertEqual(try sim.sessionsCreated(), 1)
        XCTAssertEqual(try sim.reportsReceived(sessionId: XCTUnwrap(result.sessionId)), 1)
    }

    /// Starts a flow, presents the sheet and leaves the app; returns what survives process death.
    /// Client and flow are released when this returns (the process "dies").
    private func leaveAppDuringSheet() async throws -> (sessionId: String, snapshot: String) {
        let client = try await newClient()
        let flow = try client.newFlow(options: options())
        let sessionId = try await flow.start().sessionId()
        try await flow.sheetPresented()
        try await flow.userLeftApp()
        return (sessionId, flow.snapshot())
    }

    func testRestoreAfterProcessDeathReconcilesWithOneReport() async throws {
        let (sessionId, snapshot) = try await leaveAppDuringSheet()
        let done = try sim.completeSheet(sessionId: sessionId, institution: "success_one")
        let client = try await newClient()
        let pending = try await client.sendPendingReports()
        XCTAssertEqual(pending.delivered, 0)
        let flow = try await client.restoreFlow(snapshot: snapshot)
        XCTAssertEqual(flow.phase(), .awaitingReturn)
        let handled = try await flow.handleUrl(url: XCTUnwrap(done.redirectUrl))
        XCTAssertTrue(handled.recorded)
        let result = try await flow.resume()
        XCTAssertEqual(result.status, .completed)
        XCTAssertEqual(result.accounts.map(\.id), done.accountIds)
        let again = try await flow.resume()
        XCTAssertEqual(again, result, "a finished flow answers the same again")
        XCTAssertEqual(try sim.sessionsCreated(), 1)
        XCTAssertEqual(try sim.reportsReceived(sessionId: sessionId), 1)
    }

    func testSnapshotHoldsNoSecretAndBadSnapshotsAreTyped() async throws {
        let client = try await newClient()
        let flow = try client.newFlow(options: options())
        let sheet = try await flow.start()
        let snapshot = flow.snapshot()
        XCTAssertFalse(sheet.clientSecret().isEmpty)
        XCTAssertFalse(sheet.publishableKey().isEmpty)
        XCTAssertFalse(snapshot.contains(sheet.clientSecret()))
        XCTAssertFalse(snapshot.contains(sheet.publishableKey()))
        XCTAssertTrue(snapshot.contains(sheet.sessionId()))
        for bad in ["{not json", #"{"version": 999}"#] {
            let error = await finConnError { try await client.restoreFlow(snapshot: bad) }
            guard case .SnapshotUnusable? = error else {
                return XCTFail("expected FinConnError.SnapshotUnusable for \(bad), got \(String(describing: error))")
            }
        }
    }

    func testHundredConcurrentAsyncCallsAllComplete() async throws {
        let client = try await newClient()
        let flows = try (1...100).map { _ in try client.newFlow(options: options()) }
        let sessionIds = try await withThrowingTaskGroup(of: String.self) { group in
            for flow in flows {
                group.addTask { try await flow.start().sessionId() }
            }
            var ids = Set<String>()
            for try await id in group {
                ids.insert(id)
            }
            return ids
        }
        XCTAssertEqual(sessionIds.count, 100)
        XCTAssertEqual(try sim.sessionsCreated(), 100)
        let lists = try await withThrowingTaskGroup(of: [Account].self) { group in
            for _ in 1...100 {
                group.addTask { try await client.listAccounts() }
            }
            var count = 0
            for try await _ in group {
                count += 1
            }
            return count
        }
        XCTAssertEqual(lists, 100)
    }

    func testClosingAFlowReleasesItForTheNextLaunch() async throws {
        // Swift has no close(): an object is freed with its last reference, and cannot be used
        // after that. Releasing the flow releases its lock at once, like close() in Kotlin.
        let client = try await newClient()
        var flow: Flow? = try client.newFlow(options: options())
        let sessionId = try await XCTUnwrap(flow).start().sessionId()
        try await XCTUnwrap(flow).sheetPresented()
        flow = nil
        let recovery = try await client.resumePending()
        XCTAssertEqual(recovery.finished.map(\.sessionId), [sessionId])
        XCTAssertEqual(try sim.reportsReceived(sessionId: sessionId), 1)
    }

    func testARustPanicIsAnErrorNotACrash() throws {
        // `testingPanic` returns a Result in Rust, so Swift `throws` and UniFFI's panic becomes an
        // error (UniffiInternalError.rustPanic, fileprivate to FinConn.swift). A panic in a
        // non-throwing export would hit `try!` and crash this process.
        XCTAssertThrowsError(try testingPanic(message: "boom from Swift")) { error in
            XCTAssertFalse(error is FinConnError, "a panic must not look like a typed error")
            XCTAssertTrue(
                error.localizedDescription.contains("boom from Swift"),
                "panic message lost: \(error.localizedDescription)"
            )
        }
        // The library is still usable afterwards.
        XCTAssertFalse(coreVersion().isEmpty)
        XCTAssertTrue(try checkReturnUrl(url: "\(returnURL)?status=success", returnUrls: [returnURL], androidAppId: nil).matched)
    }

    func testAPanicOnTheLibraryExecutorIsAnErrorNotACrash() async throws {
        // The same panic inside an async call, whose body runs on the library's own thread.
        do {
            try await testingPanicOffloaded(message: "boom on the runtime")
            XCTFail("the panic did not reach the caller")
        } catch {
            XCTAssertFalse(error is FinConnError, "a panic must not look like a typed error")
            XCTAssertTrue(
                error.localizedDescription.contains("boom on the runtime"),
                "panic message lost: \(error.localizedDescription)"
            )
        }
        // The executor still runs calls afterwards.
        let findings = try await newClient().checkSetup()
        XCTAssertFalse(findings.isEmpty)
    }

    /// Every call that touches the data directory does it on the library's own thread
    /// ("finconn-runtime"), never on the caller's (here a thread of Swift's cooperative pool, as
    /// an app's task would be); the synchronous calls touch no file at all. A listener or a
    /// transport that records its thread would prove nothing about the disk: the library's own
    /// witness of its store operations says which thread did them.
    func testNoLibraryWorkRunsOnTheCallersThread() async throws {
        func onTheLibraryThread<T>(
            _ what: String,
            line: UInt = #line,
            _ call: () async throws -> T
        ) async throws -> T {
            let before = testingDiskWork().operations
            let out = try await call()
            let after = testingDiskWork()
            XCTAssertGreaterThan(after.operations, before, "\(what) touched no file", line: line)
            XCTAssertEqual(
                after.lastThread, "finconn-runtime",
                "\(what) touched the disk on \(String(describing: after.lastThread)), not the library's thread",
                line: line
            )
            return out
        }
        func touchingNoFile<T>(_ what: String, line: UInt = #line, _ call: () throws -> T) rethrows -> T {
            let before = testingDiskWork().operations
            let out = try call()
            XCTAssertEqual(testingDiskWork().operations, before, "\(what) touched a file", line: line)
            return out
        }

        let client = try await onTheLibraryThread("open") { try await newClient() }
        let flow = try touchingNoFile("newFlow") { try client.newFlow(options: options()) }
        let sheet = try await onTheLibraryThread("start") { try await flow.start() }
        try await onTheLibraryThread("sheetPresented") { try await flow.sheetPresented() }
        let views = try touchingNoFile("the synchronous calls") { () throws -> [String] in
            flow.recordStripeEvent(name: "open", metadata: [:])
            return [
                flow.flowId(), "\(flow.phase())", flow.sessionId() ?? "", String(describing: flow.result()),
                flow.snapshot(), String(describing: try client.checkUrl(url: returnURL)),
            ]
        }
        XCTAssertEqual(views.count, 6)
        try await onTheLibraryThread("userLeftApp") { try await flow.userLeftApp() }
        let done = try sim.completeSheet(sessionId: sheet.sessionId(), institution: "success_one")
        let redirect = try XCTUnwrap(done.redirectUrl)
        let handled = try await onTheLibraryThread("handleUrl") { try await flow.handleUrl(url: redirect) }
        XCTAssertTrue(handled.recorded)
        let result = try await onTheLibraryThread("sheetResult") { try await flow.sheetResult(result: .completed) }
        XCTAssertEqual(result.status, .completed)
        let idle = try touchingNoFile("an idle flow's snapshot") { try client.newFlow(options: options()).snapshot() }
        let restored = try await onTheLibraryThread("restoreFlow") { try await client.restoreFlow(snapshot: idle) }
        let canceled = try await onTheLibraryThread("resume") { try await restored.resume() }
        XCTAssertEqual(canceled.status, .canceled)
        _ = try await onTheLibraryThread("resumePending") { try await client.resumePending() }
    }

    func testListenerReceivesFlowAndStripeEvents() async throws {
        let listener = EventListener()
        let client = try await newClient()
        let id = client.addListener(listener: listener)
        let flow = try client.newFlow(options: options())
        let sheet = try await flow.start()
        try await flow.sheetPresented()
        flow.recordStripeEvent(name: "institution_selected", metadata: ["institution_name": "StripeBank"])
        _ = try sim.completeSheet(sessionId: sheet.sessionId(), institution: "success_one")
        _ = try await flow.sheetResult(result: .completed)
        client.removeListener(listenerId: id)

        let events = listener.events.all
        let phases = events.compactMap { event -> FlowPhase? in
            if case let .phaseChanged(_, _, to) = event { return to }
            return nil
        }
        XCTAssertEqual(phases, [.creatingSession, .ready, .presenting, .reconciling, .completed])
        let stripe = try single(events.compactMap { event -> (name: String, metadata: [String: String])? in
            if case let .stripeEvent(_, name, metadata) = event { return (name, metadata) }
            return nil
        }) { _ in true }
        XCTAssertEqual(stripe.name, "institution_selected")
        XCTAssertEqual(stripe.metadata["institution_name"], "StripeBank")
        XCTAssertTrue(events.contains { event in
            if case .reportDelivered = event { return true }
            return false
        })
        let finished = try single(events.compactMap { event -> FlowStatus? in
            if case let .finished(_, status) = event { return status }
            return nil
        }) { _ in true }
        XCTAssertEqual(finished, .completed)
    }

    func testInvalidConfigurationFailsBeforeAnyNetworkCall() async throws {
        let client = try await newClient()
        XCTAssertThrowsError(try client.newFlow(options: SessionOptions(permissions: []))) { error in
            guard case let FinConnError.InvalidConfiguration(reason) = error else {
                return XCTFail("expected FinConnError.InvalidConfiguration, got \(error)")
            }
            XCTAssertTrue(reason.contains("at least one permission"), reason)
        }
        let flow = try client.newFlow(options: options())
        let presented = await finConnError { try await flow.sheetPresented() }
        guard case .InvalidState? = presented else {
            return XCTFail("expected FinConnError.InvalidState, got \(String(describing: presented))")
        }
        let badConfigs = [
            FlowClientConfig(backendUrl: "http://api.example.com", returnUrls: [returnURL], dataDir: dataDir.path),
            FlowClientConfig(backendUrl: "https://api.example.com", returnUrls: ["javascript:alert(1)"], dataDir: dataDir.path),
        ]
        for config in badConfigs {
            let error = await finConnError { try await FlowClient.open(config: config, headers: nil) }
            guard case .InvalidConfiguration? = error else {
                return XCTFail("expected FinConnError.InvalidConfiguration for \(config), got \(String(describing: error))")
            }
        }
        XCTAssertEqual(try sim.sessionsCreated(), 0)
    }

    func testASheetResultDeliveredTwiceGivesTheSameResultAndOneReport() async throws {
        let flow = try await newClient().newFlow(options: options())
        let sheet = try await flow.start()
        try await flow.sheetPresented()
        _ = try sim.completeSheet(sessionId: sheet.sessionId(), institution: "success_one")
        let first = try await flow.sheetResult(result: .completed)
        // The sheet's result can arrive twice (Android re-delivers it to a recreated activity).
        let again = try await flow.sheetResult(result: .canceled)
        XCTAssertEqual(again, first)
        XCTAssertEqual(try sim.reportsReceived(sessionId: sheet.sessionId()), 1)
    }

    func testCancelBeforeTheSheetAndResumeOfAFlowKilledBeforeItsSession() async throws {
        let client = try await newClient()
        let flow = try client.newFlow(options: options())
        _ = try await flow.start()
        let canceled = try await flow.cancel()
        XCTAssertEqual(canceled.status, .canceled)
        XCTAssertEqual(flow.phase(), .canceled)
        let presented = await finConnError { try await flow.sheetPresented() }
        guard case .InvalidState? = presented else {
            return XCTFail("expected FinConnError.InvalidState, got \(String(describing: presented))")
        }
        let idleSnapshot = try client.newFlow(options: options()).snapshot()
        let restored = try await client.restoreFlow(snapshot: idleSnapshot)
        let result = try await restored.resume()
        XCTAssertEqual(result.status, .canceled)
        XCTAssertTrue(result.accounts.isEmpty)
    }

    func testPresentingTwiceIsAnInvalidState() async throws {
        let flow = try await newClient().newFlow(options: options())
        _ = try await flow.start()
        try await flow.sheetPresented()
        switch await finConnError({ try await flow.sheetPresented() }) {
        case .InvalidState?:
            break
        case let other:
            XCTFail("expected FinConnError.InvalidState, got \(String(describing: other))")
        }
        XCTAssertEqual(flow.phase(), .presenting)
    }

    func testLoggerReceivesTheCoreLogsWithoutSecrets() async throws {
        let logger = LineLogger()
        setLogger(logger: logger, maxLevel: .trace)
        defer { clearLogger() }
        let client = try await newClient()
        let flow = try client.newFlow(options: options())
        let sheet = try await flow.start()
        try await flow.sheetPresented()
        _ = try sim.completeSheet(sessionId: sheet.sessionId(), institution: "success_one")
        _ = try await flow.sheetResult(result: .completed)
        let lines = logger.lines.all
        XCTAssertTrue(lines.contains { $0.contains("flow phase changed") }, "the core logged the flow: \(lines)")
        XCTAssertFalse(lines.contains { $0.contains(sheet.clientSecret()) || $0.contains(sheet.publishableKey()) })
    }

    func testEveryValueAFlowReturnsPrintsNoSecret() async throws {
        let transport = LoggingTransport()
        let events = EventListener()
        let client = try await FlowClient.open(
            config: FlowClientConfig(
                backendUrl: sim.backendUrl(),
                returnUrls: [returnURL],
                androidAppId: appID,
                dataDir: dataDir.path,
                stripeApiUrl: sim.backendUrl(),
                requestTimeoutMs: 5_000
            ),
            headers: UserToken(),
            transport: transport
        )
        _ = client.addListener(listener: events)
        var printed: [String] = [String(describing: client)]
        let flow = try client.newFlow(options: options())
        printed.append(String(describing: flow))
        let sheet = try await flow.start()
        var secrets = [sheet.clientSecret(), sheet.publishableKey()]
        if let token = try sim.reportToken(sessionId: sheet.sessionId()) {
            secrets.append(token)
        }
        printed.append(String(describing: sheet))
        printed.append("\(sheet)")
        try await flow.sheetPresented()
        let done = try sim.completeSheet(sessionId: sheet.sessionId(), institution: "success_three")
        printed.append(String(describing: try await flow.handleUrl(url: XCTUnwrap(done.redirectUrl))))
        let result = try await flow.sheetResult(result: .completed)
        printed.append(String(describing: result))
        printed.append(contentsOf: result.accounts.map { String(describing: $0) })
        printed.append(String(describing: try await client.listAccounts()))
        printed.append(String(describing: try client.checkUrl(url: "\(returnURL)?status=success")))
        printed.append(String(describing: try await client.sendPendingReports()))
        printed.append(String(describing: try await client.resumePending()))
        try sim.pushFault(endpointName: "create_session", faultSpec: "status:400", count: 1)
        let failing = try client.newFlow(options: options())
        if let error = await finConnError({ try await failing.start() }) {
            printed.append(String(describing: error))
            printed.append(error.localizedDescription)
        }
        printed.append(contentsOf: events.events.all.map { String(describing: $0) })
        printed.append(contentsOf: transport.printed.all)
        XCTAssertEqual(secrets.count, 3)
        XCTAssertTrue(printed.count > 20, "the walk saw values")
        for text in printed {
            for secret in secrets {
                XCTAssertFalse(text.contains(secret), "a description shows a secret: \(text)")
            }
        }
    }

    /// Every public value that holds a secret (the sheet's client secret and publishable key, the
    /// transport's request with the user's token and the Stripe fallback's URL), printed every
    /// way Swift prints a value: `description`, `debugDescription` (`String(reflecting:)`),
    /// `dump()` and a `Mirror` walk. None shows a byte of a secret.
    func testSecretHoldersPrintNothingInAnyForm() async throws {
        let transport = LoggingTransport()
        let client = try await FlowClient.open(
            config: FlowClientConfig(
                backendUrl: sim.backendUrl(),
                returnUrls: [returnURL],
                dataDir: dataDir.path,
                stripeApiUrl: sim.backendUrl(),
                requestTimeoutMs: 5_000
            ),
            headers: UserToken(),
            transport: transport
        )
        let flow = try client.newFlow(options: options())
        let sheet = try await flow.start()
        let token = try XCTUnwrap(try sim.reportToken(sessionId: sheet.sessionId()))
        let secrets = [sheet.clientSecret(), sheet.publishableKey(), token, "swift-user"]
        try await flow.sheetPresented()
        let done = try sim.completeSheet(sessionId: sheet.sessionId(), institution: "success_one")
        let result = try await flow.sheetResult(result: .completed)
        XCTAssertEqual(result.accounts.map { $0.id }, done.accountIds)
        let holders: [Any] = [sheet, client, flow, result, try XCTUnwrap(transport.lastRequest)]
        var printed: [String] = []
        for holder in holders {
            printed.append(String(describing: holder))
            printed.append(String(reflecting: holder))
            var dumped = ""
            dump(holder, to: &dumped)
            printed.append(dumped)
            for child in Mirror(reflecting: holder).children {
                printed.append("\(child.label ?? "_") \(String(reflecting: child.value))")
            }
        }
        XCTAssertTrue(printed.contains { $0.contains("SessionSheet") || $0.contains("Sheet") }, "the walk printed the sheet")
        for text in printed {
            for secret in secrets {
                XCTAssertFalse(text.contains(secret), "a printed value shows a secret: \(text)")
            }
        }
    }

    /// Cancelling the Swift `Task` that awaits `start()`. UniFFI 0.32's Swift does not pass a
    /// Task's cancellation into the Rust future (mozilla/uniffi-rs#2771; Kotlin's coroutines do),
    /// so the call runs on to its end. What must hold: it ends by itself within the core's
    /// deadline (never a hang), the flow stays consistent, and starting again gives the same
    /// session, not a second one. bindings/swift/README.md says how to abandon a flow instead.
    func testCancellingTheTaskDuringStartEndsWithinTheDeadlineAndKeepsOneSession() async throws {
        let client = try await newClient()
        try sim.pushFault(endpointName: "create_session", faultSpec: "delay_ms:1500", count: 1)
        let flow = try client.newFlow(options: options())
        let started = DispatchTime.now().uptimeNanoseconds
        let call = Task { try await flow.start() }
        try await Task.sleep(nanoseconds: 200_000_000)
        call.cancel()
        let outcome = await call.result
        let ms = (DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
        XCTAssertLessThan(ms, 5_000, "the cancelled call outlived the core's deadline: \(ms) ms")
        let first = try outcome.get().sessionId()
        let again = try await flow.start()
        XCTAssertEqual(again.sessionId(), first, "a second start after a cancelled one made another session")
        XCTAssertEqual(try sim.sessionsCreated(), 1)
    }

    private func shortConfig(requestTimeoutMs: Int64, maxAttempts: Int32) -> FlowClientConfig {
        FlowClientConfig(
            backendUrl: sim.backendUrl(),
            returnUrls: [returnURL],
            androidAppId: appID,
            dataDir: dataDir.path,
            stripeApiUrl: sim.backendUrl(),
            requestTimeoutMs: requestTimeoutMs,
            maxAttempts: maxAttempts
        )
    }

    private func msSince(_ started: UInt64) -> UInt64 {
        (DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
    }

    /// The `FinConnError.Timeout` reason `call` must throw.
    private func timeoutReason(_ call: () async throws -> Void, line: UInt = #line) async -> String {
        do {
            try await call()
            XCTFail("expected FinConnError.Timeout", line: line)
        } catch FinConnError.Timeout(let reason) {
            return reason
        } catch {
            XCTFail("expected FinConnError.Timeout, got \(error)", line: line)
        }
        return ""
    }

    func testHeadersProviderBlockingThreeSecondsCannotStretchA300msCall() async throws {
        let blocking = BlockingHeaders(seconds: 3)
        // Another task keeps ticking while start() waits: the provider must not starve it.
        let ticks = Counter()
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 10_000_000)
                ticks.increment()
            }
        }
        defer { ticker.cancel() }
        // One attempt: its deadline is the 300 ms timeout plus a 200 ms grace.
        do {
            let client = try await FlowClient.open(config: shortConfig(requestTimeoutMs: 300, maxAttempts: 1), headers: blocking)
            let flow = try client.newFlow(options: options())
            let started = DispatchTime.now().uptimeNanoseconds
            let reason = await timeoutReason { _ = try await flow.start() }
            let ms = msSince(started)
            print("start() with a headers provider blocking 3 s, 300 ms timeout, 1 attempt: \(ms) ms")
            XCTAssertLessThan(ms, 1_000, "one attempt took \(ms) ms")
            XCTAssertTrue(reason.contains("headers provider"), reason)
            XCTAssertEqual(flow.phase(), .creatingSession)
        }
        let ticksDuringOne = ticks.value
        // Two attempts: two deadlines and one backoff (at most 200 ms), never 2 x 3 s.
        do {
            let client = try await FlowClient.open(config: shortConfig(requestTimeoutMs: 300, maxAttempts: 2), headers: blocking)
            let flow = try client.newFlow(options: options())
            let started = DispatchTime.now().uptimeNanoseconds
            _ = await timeoutReason { _ = try await flow.start() }
            let ms = msSince(started)
            print("start() with a headers provider blocking 3 s, 300 ms timeout, 2 attempts: \(ms) ms")
            XCTAssertLessThan(ms, 1_800, "two attempts took \(ms) ms")
        }
        XCTAssertGreaterThanOrEqual(ticksDuringOne, 10, "the caller's tasks were starved")
        // Nothing was sent without headers, and the stuck provider was not called again while it
        // was stuck: one call per client.
        XCTAssertEqual(try sim.requests(endpointName: "create_session"), 0)
        XCTAssertEqual(blocking.calls, 2)
    }

    func testBlockingListenerCannotStallAFlow() async throws {
        let listener = BlockingListener(seconds: 3)
        let client = try await newClient()
        _ = client.addListener(listener: listener)
        let flow = try client.newFlow(options: options())
        let started = DispatchTime.now().uptimeNanoseconds
        let sheet = try await flow.start()
        let sync = DispatchTime.now().uptimeNanoseconds
        try await flow.sheetPresented()
        for i in 0..<20 {
            flow.recordStripeEvent(name: "event_\(i)", metadata: [:])
        }
        let syncMs = msSince(sync)
        _ = try sim.completeSheet(sessionId: sheet.sessionId(), institution: "success_one")
        let result = try await flow.sheetResult(result: .completed)
        let ms = msSince(started)
        print("a flow with a listener blocking 3 s: \(ms) ms (sheetPresented + 20 events: \(syncMs) ms)")
        XCTAssertEqual(result.status, .completed)
        XCTAssertLessThan(ms, 1_500, "the flow took \(ms) ms")
        XCTAssertLessThan(syncMs, 1_000, "sheetPresented and 20 events took \(syncMs) ms")
        // Once unblocked, the listener gets every event, in order.
        let until = DispatchTime.now().uptimeNanoseconds + 10_000_000_000
        while !listener.events.all.contains(where: { if case .finished = $0 { return true } else { return false } }),
              DispatchTime.now().uptimeNanoseconds < until {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        let phases: [FlowPhase] = listener.events.all.compactMap {
            if case let .phaseChanged(_, _, to) = $0 { return to } else { return nil }
        }
        XCTAssertEqual(phases, [.creatingSession, .ready, .presenting, .reconciling, .completed])
        let names: [String] = listener.events.all.compactMap {
            if case let .stripeEvent(_, name, _) = $0 { return name } else { return nil }
        }
        XCTAssertEqual(names, (0..<20).map { "event_\($0)" })
        XCTAssertEqual(client.droppedEvents(), 0)
    }

    func testBlockingLoggerCannotStallAFlow() async throws {
        let logger = BlockingLogger(seconds: 3)
        setLogger(logger: logger, maxLevel: .trace)
        defer { clearLogger() }
        let client = try await newClient()
        let flow = try client.newFlow(options: options())
        let started = DispatchTime.now().uptimeNanoseconds
        let sheet = try await flow.start()
        try await flow.sheetPresented()
        _ = try sim.completeSheet(sessionId: sheet.sessionId(), institution: "success_one")
        let result = try await flow.sheetResult(result: .completed)
        let ms = msSince(started)
        print("a flow with a logger blocking 3 s: \(ms) ms")
        XCTAssertEqual(result.status, .completed)
        XCTAssertLessThan(ms, 1_500, "the flow took \(ms) ms")
        // Once unblocked, the logger gets the flow's lines.
        let until = DispatchTime.now().uptimeNanoseconds + 10_000_000_000
        while !logger.lines.all.contains(where: { $0.contains("flow phase changed") }),
              DispatchTime.now().uptimeNanoseconds < until {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        XCTAssertTrue(logger.lines.all.contains { $0.contains("flow phase changed") }, "the lines arrived")
    }

    /// A headers provider that throws (the user signed out): the call fails typed, nothing is
    /// sent, and the provider's reason (which may hold anything) is not in the error.
    func testAHeadersProviderThatThrowsSendsNothingAndIsTyped() async throws {
        let client = try await FlowClient.open(config: shortConfig(requestTimeoutMs: 5_000, maxAttempts: 3), headers: ThrowingHeaders())
        let flow = try client.newFlow(options: options())
        do {
            let sheet = try await flow.start()
            XCTFail("a start without headers succeeded: \(sheet)")
        } catch FinConnError.InvalidConfiguration(let reason) {
            XCTAssertTrue(reason.contains("headers provider"), reason)
            XCTAssertFalse(reason.contains(ThrowingHeaders.reason), reason)
        }
        XCTAssertEqual(try sim.requests(endpointName: "create_session"), 0, "a request went out without headers")
        // No headers is not a passing fault: the flow ends failed (a new one starts over).
        XCTAssertEqual(flow.phase(), .failed)
    }

    /// A listener and a logger that throw on everything: the flow completes, and a well-behaved
    /// listener beside them gets every event.
    func testAListenerAndALoggerThatThrowStallNothing() async throws {
        setLogger(logger: ThrowingLogger(), maxLevel: .trace)
        defer { clearLogger() }
        let client = try await newClient()
        _ = client.addListener(listener: ThrowingListener())
        let good = EventListener()
        _ = client.addListener(listener: good)
        let result = try await runFlow(client, "success_one")
        XCTAssertEqual(result.status, .completed)
        let phases: [FlowPhase] = good.events.all.compactMap {
            if case let .phaseChanged(_, _, to) = $0 { return to } else { return nil }
        }
        XCTAssertEqual(phases, [.creatingSession, .ready, .presenting, .reconciling, .completed])
        XCTAssertEqual(try sim.reportsReceived(sessionId: XCTUnwrap(result.sessionId)), 1)
    }

    // MARK: - The data directory is untrusted; a failing disk is the app's business

    /// A named pipe at `url` (opening it for reading would block until a writer comes).
    private func makeFifo(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(url.path, 0o600), 0, "mkfifo \(url.path)")
        var info = stat()
        XCTAssertEqual(lstat(url.path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "\(url.path) is a FIFO")
    }

    /// Runs `body` in a task of its own and gives up (nil) after `seconds`: a task blocked in a
    /// synchronous `open` cannot be cancelled (nor awaited by a task group), so it is left behind.
    private func within<T: Sendable>(seconds: Int, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        let once = Once<Result<T?, Error>>()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T?, Error>) in
            once.onFirst { continuation.resume(with: $0) }
            Task.detached {
                do { once.offer(.success(try await body())) } catch { once.offer(.failure(error)) }
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds)) {
                once.offer(.success(nil))
            }
        }
    }

    /// The flows directory refuses writes, the way the system does it even for root: a regular
    /// file where the directory was (every create and removal under it fails with ENOTDIR).
    /// Returns the repair.
    private func refuseFlowWrites() throws -> () throws -> Void {
        let flows = dataDir.appendingPathComponent("finconn-flows")
        let away = dataDir.appendingPathComponent("finconn-flows.away")
        try FileManager.default.moveItem(at: flows, to: away)
        try Data("not a directory".utf8).write(to: flows)
        return {
            try FileManager.default.removeItem(at: flows)
            try FileManager.default.moveItem(at: away, to: flows)
        }
    }

    /// The `FinConnError.Storage` reason `call` must throw.
    private func storageReason(_ call: () async throws -> Void, line: UInt = #line) async -> String {
        do {
            try await call()
            XCTFail("expected FinConnError.Storage", line: line)
        } catch FinConnError.Storage(let reason) {
            return reason
        } catch {
            XCTFail("expected FinConnError.Storage, got \(error)", line: line)
        }
        return ""
    }

    /// Files left in the data directory.
    private func filesLeft() -> [String] {
        let walker = FileManager.default.enumerator(at: dataDir, includingPropertiesForKeys: [.isRegularFileKey])
        var files: [String] = []
        while let url = walker?.nextObject() as? URL {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                files.append(url.path)
            }
        }
        return files
    }

    func testAFifoInTheDataDirectoryHangsNeitherTheClientNorResumePending() async throws {
        let id = String(repeating: "0", count: 31) + "7"
        let fifos = [
            "finconn-outbox/.report-fcidem_a-complete.json.1.0123456789abcdef.tmp",
            "finconn-outbox/report-fcidem_\(id)-complete.json",
            "finconn-flows/.flow-flow_a.json.1.0123456789abcdef.tmp",
            "finconn-flows/flow-flow_\(id).json",
        ].map { dataDir.appendingPathComponent($0) }
        for fifo in fifos {
            try makeFifo(fifo)
        }
        let empty = OutboxSummary(delivered: 0, remaining: 0, dropped: 0, quarantined: 0)
        for launch in 1...2 {
            let started = DispatchTime.now().uptimeNanoseconds
            // A hang would be a synchronous open in the constructor or in the launch calls: run
            // them on a thread of their own and give up after 20 s instead of hanging the suite.
            let outcome = try await within(seconds: 20) { [self] in
                let client = try await newClient()
                return (try await client.resumePending(), try await client.sendPendingReports())
            }
            let (recovery, again) = try XCTUnwrap(outcome, "launch \(launch) still blocked after 20 s")
            let ms = msSince(started)
            XCTAssertLessThan(ms, 5_000, "launch \(launch) took \(ms) ms")
            // Not the library's files: never opened, never counted.
            XCTAssertTrue(recovery.finished.isEmpty)
            XCTAssertTrue(recovery.waiting.isEmpty)
            XCTAssertEqual(recovery.quarantined, 0)
            XCTAssertEqual(recovery.reports, empty)
            XCTAssertEqual(again, empty)
        }
        for fifo in fifos {
            XCTAssertNotNil(try? FileManager.default.attributesOfItem(atPath: fifo.path), "\(fifo.path) left alone")
        }
    }

    func testADataDirectoryThatRefusesWritesThrowsStorageAndTheSameCallsAgainReportOnce() async throws {
        let client = try await newClient()
        let flow = try client.newFlow(options: options())
        var repair = try refuseFlowWrites()
        let reason = await storageReason { _ = try await flow.start() }
        XCTAssertTrue(reason.hasPrefix("storage: "), reason)
        XCTAssertFalse(reason.contains(dataDir.path), "no path in \(reason)")
        XCTAssertEqual(flow.phase(), .idle)
        XCTAssertEqual(try sim.requests(endpointName: "create_session"), 0, "nothing sent")
        try repair()
        let sheet = try await flow.start()

        repair = try refuseFlowWrites()
        _ = await storageReason { try await flow.sheetPresented() }
        XCTAssertEqual(flow.phase(), .ready)
        try repair()
        try await flow.sheetPresented()
        try await flow.userLeftApp()
        let done = try sim.completeSheet(sessionId: sheet.sessionId(), institution: "success_one")
        let handled = try await flow.handleUrl(url: XCTUnwrap(done.redirectUrl))
        XCTAssertTrue(handled.recorded)

        repair = try refuseFlowWrites()
        _ = await storageReason { _ = try await flow.sheetResult(result: .completed) }
        XCTAssertEqual(flow.phase(), .presenting)
        XCTAssertEqual(try sim.reportsReceived(sessionId: sheet.sessionId()), 0, "nothing reported")
        try repair()
        let result = try await flow.sheetResult(result: .completed)
        XCTAssertEqual(result.status, .completed)
        XCTAssertEqual(result.accounts.map { $0.id }, done.accountIds)
        XCTAssertEqual(try sim.sessionsCreated(), 1)
        XCTAssertEqual(try sim.reportsReceived(sessionId: sheet.sessionId()), 1)
        XCTAssertEqual(filesLeft(), [], "settled: no file left")
    }

    func testAStorageFailureBeforeAKillStillGivesTheSessionOneReportAtTheNextLaunch() async throws {
        var sessionId = ""
        var repair: () throws -> Void = {}
        do {
            let client = try await newClient()
            let flow = try client.newFlow(options: options())
            sessionId = try await flow.start().sessionId()
            repair = try refuseFlowWrites()
            _ = await storageReason { try await flow.sheetPresented() }
            XCTAssertEqual(flow.phase(), .ready)
        } // the process dies; the disk recovers before the next launch
        let done = try sim.completeSheet(sessionId: sessionId, institution: "success_one")
        try repair()
        let client = try await newClient()
        let recovery = try await client.resumePending()
        XCTAssertEqual(recovery.finished.count, 1)
        let result = try XCTUnwrap(recovery.finished.first)
        XCTAssertEqual(result.status, .completed)
        XCTAssertEqual(result.accounts.map { $0.id }, done.accountIds)
        XCTAssertEqual(try sim.sessionsCreated(), 1)
        XCTAssertEqual(try sim.reportsReceived(sessionId: sessionId), 1)
        XCTAssertEqual(filesLeft(), [], "settled: no file left")
    }

    func testResumePendingFindsTheFlowOfAKilledProcess() async throws {
        var sessionId = ""
        do {
            let client = try await newClient()
            let flow = try client.newFlow(options: options())
            sessionId = try await flow.start().sessionId()
            try await flow.sheetPresented()
            try await flow.userLeftApp()
        } // the process dies: no snapshot kept by the app, the core has it
        let done = try sim.completeSheet(sessionId: sessionId, institution: "success_one")
        let client = try await newClient()
        let recovery = try await client.resumePending()
        XCTAssertEqual(recovery.finished.count, 1)
        XCTAssertTrue(recovery.waiting.isEmpty)
        let result = try XCTUnwrap(recovery.finished.first)
        XCTAssertEqual(result.status, .completed)
        XCTAssertEqual(result.accounts.map { $0.id }, done.accountIds)
        let again = try await client.resumePending()
        XCTAssertTrue(again.finished.isEmpty)
        XCTAssertEqual(try sim.reportsReceived(sessionId: sessionId), 1)
    }
}

/// Wraps the platform transport and keeps what a careless host transport would log.
private final class LoggingTransport: HttpTransport, @unchecked Sendable {
    private let inner = PlatformHttpTransport()
    let printed = Recorder<String>()

    private let lock = NSLock()
    private var last: HttpRequest?

    /// The last request sent (it holds the user's token in a header).
    var lastRequest: HttpRequest? {
        lock.lock()
        defer { lock.unlock() }
        return last
    }

    private func remember(_ request: HttpRequest) {
        lock.lock()
        defer { lock.unlock() }
        last = request
    }

    func send(request: HttpRequest) async throws -> HttpResponse {
        remember(request)
        printed.append("request \(request) \(request.urlForLogs()) \(request.headerNames())")
        let response = try await inner.send(request: request)
        printed.append("response \(response) \(response.status())")
        return response
    }
}
