// `FlowClient.link` driven by a fake SheetPresenter against the real library and the loopback
// simulator: success, a cancel, a sheet failure, a presenter that cannot show the sheet, the user
// leaving for the bank and the deep link coming back through `FlowClient.handleUrl`, a temporary
// backend error, and the process killed in every phase the link passes. Twin of
// bindings/tests/kotlin/LinkTest.kt, test for test.
//
// A kill: UniFFI's Swift does not cancel a Rust future when its Task is cancelled
// (mozilla/uniffi-rs#2771), so a killed process is what it leaves on disk: the data directory is
// copied at the moment of the "kill" (the copy holds no lock, as after a real death) and the
// relaunch runs on the copy. The abandoned link stays suspended in its presenter.
import Foundation
import XCTest

import FinConn

private let linkReturnURL = "finconn-test://stripe-redirect"

private final class LinkUserToken: HeadersProvider {
    func headers() -> [String: String] {
        ["Authorization": "Bearer swift-user"]
    }
}

private enum Sheet {
    case links, cancels, fails, cannotPresent, diesPresenting, diesAtTheBank
}

/// Suspensions that never resume: the presenters of abandoned links wait here (kept, so no
/// continuation is ever dropped without being resumed).
private final class Parked: @unchecked Sendable {
    static let shared = Parked()
    private let lock = NSLock()
    private var continuations: [CheckedContinuation<Void, Never>] = []

    func park() async {
        await withCheckedContinuation { continuation in
            lock.lock()
            continuations.append(continuation)
            lock.unlock()
        }
    }
}

/// The platform's sheet, faked: the simulator plays the user at the bank.
private final class FakePresenter: SheetPresenter, @unchecked Sendable {
    private let sim: TestSimulator
    private let client: FlowClient
    private let sheet: Sheet
    private let lock = NSLock()
    private var seen: [String] = []
    private var reachedFlag = false

    init(sim: TestSimulator, client: FlowClient, sheet: Sheet) {
        self.sim = sim
        self.client = client
        self.sheet = sheet
    }

    var sessions: [String] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }

    var reached: Bool {
        lock.lock()
        defer { lock.unlock() }
        return reachedFlag
    }

    private func mark(_ session: String? = nil, reached: Bool = false) {
        lock.lock()
        defer { lock.unlock() }
        if let session { seen.append(session) }
        if reached { reachedFlag = true }
    }

    func present(configuration: SheetConfiguration, events: LinkEvents) async throws -> SheetResult {
        mark(configuration.sessionId())
        switch sheet {
        case .cannotPresent:
            throw CallbackError.Failed(reason: "no view controller to present from")
        case .diesPresenting:
            mark(reached: true)
            await Parked.shared.park()
        default:
            break
        }
        events.recordStripeEvent(name: "open", metadata: ["source": "fake"])
        await events.userLeftApp()
        if sheet == .diesAtTheBank {
            mark(reached: true)
            await Parked.shared.park()
        }
        if sheet == .fails {
            return .failed(error: "unexpected_error")
        }
        let done = try sim.completeSheet(
            sessionId: configuration.sessionId(),
            institution: sheet == .cancels ? "oauth_canceled" : "success_three"
        )
        if let url = done.redirectUrl {
            let handled = try await client.handleUrl(url: url)
            XCTAssertTrue(handled.isFlowUrl && handled.recorded, "\(handled)")
        }
        switch done.outcome {
        case "completed": return .completed
        case "canceled": return .canceled
        default: return .failed(error: done.errorCode ?? "unexpected_error")
        }
    }
}

private final class Events: FlowListener, @unchecked Sendable {
    private let lock = NSLock()
    private var items: [FlowEvent] = []

    func onEvent(event: FlowEvent) {
        lock.lock()
        items.append(event)
        lock.unlock()
    }

    var all: [FlowEvent] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}

final class LinkTests: SimulatorTestCase {

    private func newClient(dataDir dir: URL? = nil, maxAttempts: Int32 = 4) async throws -> FlowClient {
        try await FlowClient.open(
            config: FlowClientConfig(
                backendUrl: sim.backendUrl(),
                returnUrls: [linkReturnURL],
                dataDir: (dir ?? dataDir).path,
                stripeApiUrl: sim.backendUrl(),
                requestTimeoutMs: 5_000,
                maxAttempts: maxAttempts
            ),
            headers: LinkUserToken()
        )
    }

    private func options() -> SessionOptions {
        SessionOptions(permissions: [.balances, .paymentMethod], returnUrl: linkReturnURL)
    }

    func testLinkDrivesAWholeFlowToOneSessionAndOneReport() async throws {
        let client = try await newClient()
        let events = Events()
        _ = client.addListener(listener: events)
        let result = try await client.link(
            options: options(),
            presenter: FakePresenter(sim: sim, client: client, sheet: .links)
        )
        XCTAssertEqual(result.status, .completed)
        XCTAssertEqual(result.accounts.count, 3)
        XCTAssertEqual(try sim.sessionsCreated(), 1)
        XCTAssertEqual(try sim.reportsReceived(sessionId: try XCTUnwrap(result.sessionId)), 1)
        let phases = events.all.compactMap { event -> FlowPhase? in
            if case let .phaseChanged(_, _, to) = event { return to }
            return nil
        }
        XCTAssertTrue(phases.contains(.awaitingReturn), "\(phases)")
        XCTAssertTrue(events.all.contains { event in
            if case let .stripeEvent(_, name, _) = event { return name == "open" }
            return false
        })
    }

    func testACancelAndASheetFailureEndTheFlowWithTheirStatus() async throws {
        let client = try await newClient()
        let canceled = try await client.link(
            options: options(), presenter: FakePresenter(sim: sim, client: client, sheet: .cancels))
        XCTAssertEqual(canceled.status, .canceled)
        XCTAssertTrue(canceled.accounts.isEmpty)
        let failed = try await client.link(
            options: options(), presenter: FakePresenter(sim: sim, client: client, sheet: .fails))
        XCTAssertEqual(failed.status, .failed)
        for result in [canceled, failed] {
            XCTAssertEqual(try sim.reportsReceived(sessionId: try XCTUnwrap(result.sessionId)), 1)
        }
    }

    func testAPresenterThatCannotShowTheSheetCancelsTheFlow() async throws {
        let client = try await newClient()
        let presenter = FakePresenter(sim: sim, client: client, sheet: .cannotPresent)
        do {
            _ = try await client.link(options: options(), presenter: presenter)
            XCTFail("link returned")
        } catch let error as FinConnError {
            XCTAssertEqual(error.code(), "other")
            XCTAssertFalse(String(describing: error).contains("view controller"), "the host's reason is never shown")
        }
        XCTAssertEqual(try sim.reportsReceived(sessionId: try XCTUnwrap(presenter.sessions.first)), 1)
    }

    func testATemporaryBackendErrorIsRetriedWithinABound() async throws {
        let client = try await newClient(maxAttempts: 2)
        try sim.pushFault(endpointName: "create_session", faultSpec: "status:503", count: 2)
        let result = try await client.link(
            options: options(), presenter: FakePresenter(sim: sim, client: client, sheet: .links))
        XCTAssertEqual(result.status, .completed)
        XCTAssertEqual(try sim.sessionsCreated(), 1)
    }

    /// Leaves `link` suspended in `sheet`, "kills" the process (a copy of its data directory),
    /// relaunches on the copy and checks the one launch step finishes the flow.
    private func killAndRelaunch(_ sheet: Sheet, bankFinishes: Bool, expect: FlowStatus) async throws {
        let client = try await newClient()
        let presenter = FakePresenter(sim: sim, client: client, sheet: sheet)
        let link = Task { try await client.link(options: options(), presenter: presenter) }
        _ = link
        let deadline = Date().addingTimeInterval(30)
        while !presenter.reached {
            XCTAssertLessThan(Date(), deadline, "the presenter was never reached")
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        let afterDeath = dataDir.deletingLastPathComponent()
            .appendingPathComponent("finconn-swift-link-killed-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.copyItem(at: dataDir, to: afterDeath)
        defer { try? FileManager.default.removeItem(at: afterDeath) }
        let session = try XCTUnwrap(presenter.sessions.first)
        if bankFinishes {
            _ = try sim.completeSheet(sessionId: session, institution: "success_one")
        }
        let relaunched = try await newClient(dataDir: afterDeath)
        let recovery = try await relaunched.resumePending()
        let again = try await relaunched.resumePending()
        XCTAssertTrue(again.finished.isEmpty && again.waiting.isEmpty, "the launch step is idempotent")
        XCTAssertEqual(recovery.finished.count, 1)
        let result = try XCTUnwrap(recovery.finished.first)
        XCTAssertEqual(result.status, expect)
        if bankFinishes {
            XCTAssertEqual(result.accounts.count, 1)
        }
        XCTAssertEqual(try sim.reportsReceived(sessionId: session), 1)
        XCTAssertEqual(try sim.sessionsCreated(), 1)
    }

    func testKilledWhileTheSheetIsUp() async throws {
        try await killAndRelaunch(.diesPresenting, bankFinishes: false, expect: .canceled)
    }

    func testKilledWhileTheUserIsAtTheBankWhoThenFinishesThere() async throws {
        try await killAndRelaunch(.diesAtTheBank, bankFinishes: true, expect: .completed)
    }

    func testKilledWhileCreatingTheSessionOrReconcilingLosesNothing() async throws {
        // Creating the session: the process dies while the create request is in flight.
        try sim.pushFault(endpointName: "create_session", faultSpec: "delay_ms:1500", count: 1)
        let client = try await newClient()
        // The abandoned link parks in its presenter once the late answer arrives: it never goes on.
        let creating = Task {
            try await client.link(
                options: options(), presenter: FakePresenter(sim: sim, client: client, sheet: .diesPresenting))
        }
        _ = creating
        try await Task.sleep(nanoseconds: 500_000_000)
        let afterCreateDeath = dataDir.deletingLastPathComponent()
            .appendingPathComponent("finconn-swift-link-create-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.copyItem(at: dataDir, to: afterCreateDeath)
        defer { try? FileManager.default.removeItem(at: afterCreateDeath) }
        let relaunched = try await newClient(dataDir: afterCreateDeath)
        for result in try await relaunched.resumePending().finished {
            XCTAssertEqual(result.status, .canceled)
            if let session = result.sessionId {
                XCTAssertEqual(try sim.reportsReceived(sessionId: session), 1)
            }
        }
        // Reconciling: the report is queued, the backend too slow to answer before the death.
        try sim.pushFault(endpointName: "complete", faultSpec: "delay_ms:1500", count: 1)
        let presenter = FakePresenter(sim: sim, client: client, sheet: .links)
        let reconciling = Task { try await client.link(options: options(), presenter: presenter) }
        _ = reconciling
        try await Task.sleep(nanoseconds: 1_000_000_000)
        let afterReportDeath = dataDir.deletingLastPathComponent()
            .appendingPathComponent("finconn-swift-link-report-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.copyItem(at: dataDir, to: afterReportDeath)
        defer { try? FileManager.default.removeItem(at: afterReportDeath) }
        _ = try await newClient(dataDir: afterReportDeath).resumePending()
        XCTAssertEqual(try sim.reportsReceived(sessionId: try XCTUnwrap(presenter.sessions.last)), 1)
    }

    func testADeepLinkWithNoFlowWaitingIsClassifiedNotRecorded() async throws {
        let client = try await newClient()
        let handled = try await client.handleUrl(url: "\(linkReturnURL)?status=success")
        XCTAssertTrue(handled.isFlowUrl)
        XCTAssertFalse(handled.recorded)
        let lookAlike = try await client.handleUrl(url: "finconn-test://stripe-redirect.evil.example/?status=success")
        XCTAssertFalse(lookAlike.isFlowUrl)
    }

    func testTheSetupSelfCheckNamesWhatToFix() async throws {
        let client = try await newClient()
        let findings = await client.checkSetup()
        // The simulator is plain http on loopback: fine for development, flagged for a release.
        XCTAssertEqual(findings.filter { !$0.passed }.map(\.code), ["backend_https"])
        XCTAssertTrue(findings.contains { $0.code == "data_dir_writable" && $0.passed })
    }
}
