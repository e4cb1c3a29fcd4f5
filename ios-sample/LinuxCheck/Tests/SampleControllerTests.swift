// The iOS sample's SampleController run on Linux (scripts/ios-sample-check.sh): the sample's own
// code, compiled from ios-sample/FinConnSample, against the real FinConn library with its `testing`
// exports. The core's loopback simulator (`TestSimulator`) stands in for the backend and for Stripe;
// a fake of the library's `SheetPresenter` stands in for Stripe's sheet (FinConnStripe's
// `StripeSheetPresenter` in the app), as bindings/swift/Tests/FinConnTests/LinkTests.swift does:
// the test plays the user at the bank in the simulator, sends the bank's redirect through the
// app's URL handler and closes the sheet with its result.
//
// A kill: UniFFI's Swift does not cancel a Rust future when its Task is cancelled, so a killed
// process is what it leaves on disk: the data directory is copied at the moment of the "kill" (the
// copy holds no lock, as after a real death) and a second controller, the relaunched app, runs on
// the copy. The abandoned link stays suspended in its presenter.
import Foundation
import XCTest

import FinConn
@testable import iOSSampleLogic

/// Suspensions that never resume: the sheets of abandoned links wait here (kept, so no
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

/// The library's `SheetPresenter`, faked: each presentation is handed to `play`, which acts as the
/// user (and Stripe's sheet) and returns what the sheet reports.
private final class FakeSheet: SheetPresenter, @unchecked Sendable {
    typealias Play = (SheetConfiguration, LinkEvents) async throws -> SheetResult

    private let lock = NSLock()
    private var sessionIds: [String] = []
    private var play: Play

    init(_ play: @escaping Play = { _, _ in .canceled }) {
        self.play = play
    }

    /// The session of every presentation so far.
    var sessions: [String] {
        lock.lock()
        defer { lock.unlock() }
        return sessionIds
    }

    /// What the next presentations do.
    func plays(_ play: @escaping Play) {
        lock.lock()
        defer { lock.unlock() }
        self.play = play
    }

    func present(configuration: SheetConfiguration, events: LinkEvents) async throws -> SheetResult {
        try await presented(configuration.sessionId())(configuration, events)
    }

    /// Records the session; what this presentation does.
    private func presented(_ sessionId: String) -> Play {
        lock.lock()
        defer { lock.unlock() }
        sessionIds.append(sessionId)
        return play
    }
}

/// Every line the controller and the core log (they are written from the core's threads too).
private final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var sink: SampleLog {
        SampleLog { [self] category, level, message in
            lock.lock()
            defer { lock.unlock() }
            lines.append("\(category) \(level) \(message)")
        }
    }

    var app: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines.filter { $0.hasPrefix("\(SampleLog.appCategory) ") }
    }
}

@MainActor
final class SampleControllerTests: XCTestCase {
    private var sim: TestSimulator!
    private var dataDirs: [URL] = []
    private var sheet: FakeSheet!
    private var logs: LogLines!

    override func setUp() async throws {
        sim = try TestSimulator.start()
        sheet = FakeSheet()
        logs = LogLines()
    }

    override func tearDown() async throws {
        sim?.shutdown()
        sim = nil
        for dir in dataDirs {
            try? FileManager.default.removeItem(at: dir)
        }
        dataDirs = []
    }

    private func newDataDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("finconn-ios-sample-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        dataDirs.append(dir)
        return dir
    }

    /// The sample's controller with the fake sheet, its client pointed at the simulator: the app's
    /// own `clientConfig` with the data directory, Stripe's API and shorter timeouts replaced.
    private func controller(dataDir: URL) -> SampleController {
        let backend = sim.backendUrl()
        return SampleController(
            presenter: sheet,
            log: logs.sink,
            loadSettings: {
                SampleSettings(backendURL: backend, userToken: "linux-check-user", appearance: .alwaysDark)
            },
            makeConfig: { settings in
                var config = FlowClientConfig(
                    backendUrl: settings.backendURL,
                    returnUrls: [SampleConfig.returnURL],
                    dataDir: dataDir.path
                )
                config.stripeApiUrl = backend
                config.requestTimeoutMs = 5_000
                config.refreshDeadlineMs = 5_000
                return config
            }
        )
    }

    /// Waits (on the main actor, where the controller runs) until `condition` holds.
    private func waitUntil(
        _ what: String,
        timeout: TimeInterval = 30,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ condition: () -> Bool
    ) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else {
                XCTFail("timed out waiting until \(what)", file: file, line: line)
                throw CancellationError()
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    private func launched() async throws -> SampleController {
        let controller = controller(dataDir: try newDataDir())
        await controller.launch()
        XCTAssertTrue(controller.state.isConfigured)
        return controller
    }

    /// The user at the bank: Stripe's sheet opens, the app goes to the background, the bank
    /// finishes the session with `institution`, its redirect comes back through the app's URL
    /// handler, and the sheet closes with what Stripe reports.
    private func userLinks(at institution: String, through controller: SampleController) -> FakeSheet.Play {
        { [sim] configuration, events in
            events.recordStripeEvent(name: "open", metadata: [:])
            await events.userLeftApp()
            let done = try XCTUnwrap(sim).completeSheet(sessionId: configuration.sessionId(), institution: institution)
            if let redirect = done.redirectUrl {
                await controller.handleOpenURL(try XCTUnwrap(URL(string: redirect)))
            }
            switch done.outcome {
            case "completed": return .completed
            case "canceled": return .canceled
            default: return .failed(error: done.errorCode ?? "unexpected_error")
            }
        }
    }

    func testALinkCompletesAndTheBanksDeepLinkReachesTheFlow() async throws {
        let controller = try await launched()
        XCTAssertEqual(controller.state.statusText, "Ready")
        XCTAssertTrue(controller.state.accounts.isEmpty)
        sheet.plays(userLinks(at: "success_one", through: controller))

        await controller.linkAccount()
        XCTAssertFalse(controller.state.isBusy)
        XCTAssertEqual(controller.state.statusText, "Linked 1 account(s).")
        XCTAssertEqual(controller.state.accounts.count, 1)
        XCTAssertEqual(try sim.sessionsCreated(), 1)
        XCTAssertEqual(try sim.reportsReceived(sessionId: try XCTUnwrap(sheet.sessions.first)), 1)
        // success_one goes through the bank's app and back: the link reached the waiting flow.
        XCTAssertTrue(
            logs.app.contains("app info deep link: flow link true, recorded true, Stripe handled false"),
            "\(logs.app)"
        )
    }

    func testACanceledSheetLinksNothing() async throws {
        let controller = try await launched()
        sheet.plays(userLinks(at: "oauth_canceled", through: controller))

        await controller.linkAccount()
        XCTAssertFalse(controller.state.isBusy)
        XCTAssertEqual(controller.state.statusText, "Canceled: no account was linked.")
        XCTAssertTrue(controller.state.accounts.isEmpty)
        XCTAssertEqual(try sim.reportsReceived(sessionId: try XCTUnwrap(sheet.sessions.first)), 1)
    }

    func testASheetThatCannotBeShownEndsTheFlowAndTheNextTapWorks() async throws {
        let controller = try await launched()
        sheet.plays { _, _ in throw CallbackError.Failed(reason: "no view controller to present from") }

        await controller.linkAccount()
        XCTAssertFalse(controller.state.isBusy)
        XCTAssertTrue(controller.state.statusText.hasPrefix("Unexpected error: "), controller.state.statusText)
        XCTAssertFalse(controller.state.statusText.contains("view controller"), "the presenter's reason is not shown")
        XCTAssertEqual(try sim.reportsReceived(sessionId: try XCTUnwrap(sheet.sessions.first)), 1, "reported canceled")

        sheet.plays(userLinks(at: "success_one", through: controller))
        await controller.linkAccount()
        XCTAssertEqual(controller.state.statusText, "Linked 1 account(s).")
    }

    func testTheSetupCheckShowsWhatToFix() async throws {
        let controller = try await launched()
        XCTAssertTrue(controller.state.setupFindings.isEmpty)

        await controller.checkSetup()
        let findings = controller.state.setupFindings
        // The simulator is plain http on loopback: fine for development, flagged for a release.
        XCTAssertEqual(findings.filter { !$0.passed }.map(\.code), ["backend_https"])
        XCTAssertTrue(findings.contains { $0.code == "return_urls" && $0.passed })
        XCTAssertTrue(findings.contains { $0.code == "data_dir_writable" && $0.passed })
        XCTAssertTrue(logs.app.contains { $0.hasPrefix("app error setup check backend_https: ") }, "\(logs.app)")
    }

    func testADeepLinkWithNoFlowWaitingIsOnlyClassified() async throws {
        let controller = try await launched()
        await controller.handleOpenURL(try XCTUnwrap(URL(string: "\(SampleConfig.returnURL)?status=success")))
        await controller.handleOpenURL(try XCTUnwrap(URL(string: "https://example.com/elsewhere")))
        XCTAssertEqual(logs.app.filter { $0.contains("deep link") }, [
            "app info deep link: flow link true, recorded false, Stripe handled false",
            "app info deep link: flow link false, recorded false, Stripe handled false",
        ])
        XCTAssertEqual(controller.state.statusText, "Ready", "deep links are quiet")
    }

    func testAnAppKilledWhileTheUserIsAtTheBankFindsTheLinkAtItsNextLaunch() async throws {
        let dataDir = try newDataDir()
        let first = controller(dataDir: dataDir)
        await first.launch()
        // The sheet is up, the user leaves for the bank, and the process dies there.
        var atTheBank = false
        sheet.plays { _, events in
            await events.userLeftApp()
            atTheBank = true
            await Parked.shared.park()
            return .canceled
        }
        let abandoned = Task { await first.linkAccount() }
        _ = abandoned
        try await waitUntil("the user is at the bank") { atTheBank }
        XCTAssertTrue(first.state.isBusy)
        let afterDeath = try newDataDir()
        try FileManager.default.removeItem(at: afterDeath)
        try FileManager.default.copyItem(at: dataDir, to: afterDeath)
        // Meanwhile the user finishes at the bank.
        let session = try XCTUnwrap(sheet.sessions.first)
        _ = try sim.completeSheet(sessionId: session, institution: "success_one")

        let relaunched = controller(dataDir: afterDeath)
        await relaunched.launch()
        XCTAssertEqual(relaunched.state.statusText, "Linked 1 account(s).")
        XCTAssertEqual(relaunched.state.accounts.count, 1)
        XCTAssertEqual(try sim.reportsReceived(sessionId: session), 1)
        XCTAssertEqual(try sim.sessionsCreated(), 1)

        // The launch step is idempotent: running it again finds nothing more.
        await relaunched.launch()
        XCTAssertEqual(
            logs.app.last { $0.contains("resumePending") },
            "app info resumePending: 0 finished, 0 waiting, 0 quarantined; reports 0 delivered, 0 left, 0 dropped"
        )
        XCTAssertEqual(relaunched.state.statusText, "Linked 1 account(s).")
        XCTAssertEqual(try sim.reportsReceived(sessionId: session), 1)
    }

    func testTheAccountScreenRefreshesAndKeepsTheLatestTransactions() async throws {
        let controller = try await launched()
        sheet.plays(userLinks(at: "data_bank", through: controller))
        await controller.linkAccount()
        let accountId = try XCTUnwrap(controller.state.accounts.first?.id)

        await controller.refreshAccountData(accountId)
        let details = try XCTUnwrap(controller.state.details[accountId])
        XCTAssertFalse(details.isLoading)
        // The sample links with `prefetch: [.balances]`: Stripe refreshed the balance a moment ago,
        // so the core answers "too soon" for it without a call.
        XCTAssertEqual(details.refreshLines.count, 3)
        XCTAssertTrue(
            details.refreshLines[0].hasPrefix("Balance: refreshed recently, next refresh after "),
            details.refreshLines[0]
        )
        XCTAssertEqual(details.refreshLines.dropFirst(), ["Owners: updated", "Transactions: updated"])
        XCTAssertNotNil(controller.state.accounts.first { $0.id == accountId }?.balance, "the refreshed account")
        XCTAssertFalse(details.owners.isEmpty)
        XCTAssertFalse(details.latestTransactions.isEmpty)
        XCTAssertLessThanOrEqual(details.latestTransactions.count, 5)
        XCTAssertEqual(
            details.latestTransactions.map(\.transactedAtUnixSeconds),
            details.latestTransactions.map(\.transactedAtUnixSeconds).sorted(by: >),
            "newest first"
        )
        XCTAssertNil(details.action)

        // Opening the screen again reads only what changed since the cursor: the same latest five.
        await controller.loadAccountData(accountId)
        XCTAssertEqual(controller.state.details[accountId]?.latestTransactions.map(\.id), details.latestTransactions.map(\.id))
    }
}
