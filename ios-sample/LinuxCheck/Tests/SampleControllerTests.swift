// The iOS sample's SampleController run on Linux (scripts/ios-sample-check.sh): the sample's own
// code, compiled from ios-sample/FinConnSample, against the real FinConn library with its `testing`
// exports. The core's loopback simulator (`TestSimulator`) stands in for the backend and for Stripe;
// a fake presenter stands in for UIKit and keeps the sheet the controller built (from the Stripe
// stubs); the test then plays the user: it finishes the session in the simulator, sends the bank's
// redirect through the app's URL handler and closes the sheet with Stripe's result.
import Foundation
import XCTest

import FinConn
@testable import iOSSampleLogic
@_spi(LinuxCheckTesting) import StripeFinancialConnections

/// Presents nothing: keeps each sheet and the closure Stripe would call when it closes.
@MainActor
private final class FakePresenter: iOSSampleLogic.SheetPresenter {
    var hasScreen = true
    private(set) var sheets: [FinancialConnectionsSheet] = []
    private var completions: [(FinancialConnectionsSheet.Result) -> Void] = []

    func presentation() -> SheetPresentation? {
        guard hasScreen else { return nil }
        return { [self] sheet, completion in
            sheets.append(sheet)
            completions.append(completion)
        }
    }

    /// The user closes the sheet: Stripe calls the completion with `result`.
    func close(with result: FinancialConnectionsSheet.Result) {
        completions.removeFirst()(result)
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
    private var dataDir: URL!
    private var presenter: FakePresenter!
    private var logs: LogLines!

    override func setUp() async throws {
        sim = try TestSimulator.start()
        dataDir = FileManager.default.temporaryDirectory
            .appendingPathComponent("finconn-ios-sample-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        presenter = FakePresenter()
        logs = LogLines()
    }

    override func tearDown() async throws {
        sim?.shutdown()
        sim = nil
        if let dataDir {
            try? FileManager.default.removeItem(at: dataDir)
        }
    }

    /// The sample's controller, its settings and client pointed at the simulator (the app's own
    /// `clientConfig`, with Stripe's API at the simulator and shorter timeouts).
    private func controller() async -> SampleController {
        let backend = sim.backendUrl()
        let dataDir = dataDir.path
        let controller = SampleController(
            presenter: presenter,
            log: logs.sink,
            loadSettings: {
                SampleSettings(backendURL: backend, userToken: "linux-check-user", sheetStyle: .alwaysDark)
            },
            makeClient: { settings in
                var config = SampleController.clientConfig(settings, dataDir: dataDir)
                config.stripeApiUrl = backend
                config.requestTimeoutMs = 5_000
                config.refreshDeadlineMs = 5_000
                return try await FlowClient.open(config: config, headers: BearerHeaders(token: settings.userToken))
            }
        )
        await controller.configured()
        return controller
    }

    /// Waits (on the main actor, where the controller's tasks run) until `condition` holds.
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

    /// Link your bank account → the sheet is up → the user leaves for the bank → the finished
    /// session's redirect comes back → the sheet closes completed → the core's result and the list.
    private func linkThroughTheSheet(
        _ controller: SampleController,
        institution: String
    ) async throws -> TestSheetCompletion {
        controller.linkAccount()
        XCTAssertTrue(controller.state.isBusy)
        try await waitUntil("the sheet is presented") { presenter.sheets.count == 1 }
        XCTAssertEqual(controller.state.statusText, "Stripe's sheet is open.")
        XCTAssertNotNil(STPAPIClient.shared.publishableKey, "set before the sheet")
        controller.enteredBackground()
        let done = try sim.completeSheet(
            sessionId: presenter.sheets[0].financialConnectionsSessionClientSecret,
            institution: institution
        )
        if let redirect = done.redirectUrl {
            controller.handleOpenURL(try XCTUnwrap(URL(string: redirect)))
        }
        presenter.close(with: .completed(session: StripeAPI.FinancialConnectionsSession()))
        try await waitUntil("the accounts are listed") {
            !controller.state.isBusy && controller.state.accounts.count == done.accountIds.count
        }
        return done
    }

    func testALinkCompletesThroughTheSheetAndTheDeepLinkReachesTheFlow() async throws {
        let controller = await controller()
        XCTAssertTrue(controller.state.isConfigured)
        await controller.launch()
        XCTAssertEqual(controller.state.statusText, "Ready")
        XCTAssertTrue(controller.state.accounts.isEmpty)

        let done = try await linkThroughTheSheet(controller, institution: "success_one")
        XCTAssertEqual(done.outcome, "completed")
        XCTAssertEqual(controller.state.statusText, "Linked 1 account(s).")
        XCTAssertEqual(controller.state.accounts.map(\.id), done.accountIds)
        XCTAssertTrue(controller.state.waitingFlows.isEmpty)
        XCTAssertEqual(try sim.sessionsCreated(), 1)
        XCTAssertNotNil(done.redirectUrl, "success_one goes through the bank and back")
        XCTAssertTrue(
            logs.app.contains("app info deep link: flow link true, recorded true, Stripe handled false"),
            "\(logs.app)"
        )
    }

    func testACanceledSheetLinksNothing() async throws {
        let controller = await controller()
        await controller.launch()
        controller.linkAccount()
        try await waitUntil("the sheet is presented") { presenter.sheets.count == 1 }
        _ = try sim.completeSheet(
            sessionId: presenter.sheets[0].financialConnectionsSessionClientSecret,
            institution: "exit_early"
        )
        presenter.close(with: .canceled)
        try await waitUntil("the flow ends") {
            !controller.state.isBusy && controller.state.statusText != "Checking the result with the backend…"
        }
        XCTAssertEqual(controller.state.statusText, "Canceled: no account was linked.")
        XCTAssertTrue(controller.state.accounts.isEmpty)
        XCTAssertTrue(controller.state.waitingFlows.isEmpty)
    }

    func testWithNoScreenToPresentFromTheFlowEndsUnshown() async throws {
        let controller = await controller()
        await controller.launch()
        presenter.hasScreen = false
        controller.linkAccount()
        try await waitUntil("the flow ends") { !controller.state.isBusy }
        XCTAssertEqual(controller.state.statusText, "No screen to present Stripe's sheet from.")
        XCTAssertTrue(presenter.sheets.isEmpty)
        XCTAssertEqual(try sim.sessionsCreated(), 1, "the session was created, then reported canceled")

        // Nothing is left busy: the next tap works.
        presenter.hasScreen = true
        controller.linkAccount()
        try await waitUntil("the sheet is presented") { presenter.sheets.count == 1 }
    }

    func testADeepLinkWithoutAFlowIsCheckedByTheClient() async throws {
        let controller = await controller()
        await controller.launch()
        controller.handleOpenURL(try XCTUnwrap(URL(string: "\(SampleConfig.returnURL)?status=success&session_id=fcsess_none")))
        controller.handleOpenURL(try XCTUnwrap(URL(string: "https://example.com/elsewhere")))
        XCTAssertEqual(logs.app.filter { $0.contains("deep link") }, [
            "app info deep link without a flow: matched true, Stripe handled false",
            "app info deep link without a flow: matched false, Stripe handled false",
        ])
        XCTAssertEqual(controller.state.statusText, "Ready", "deep links are quiet")
    }

    func testTheAccountScreenRefreshesAndKeepsTheLatestTransactions() async throws {
        let controller = await controller()
        await controller.launch()
        let done = try await linkThroughTheSheet(controller, institution: "data_bank")
        let accountId = try XCTUnwrap(done.accountIds.first)

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
            details.latestTransactions.map(\.transactedAt),
            details.latestTransactions.map(\.transactedAt).sorted(by: >),
            "newest first"
        )
        XCTAssertNil(details.action)

        // Opening the screen again reads only what changed since the cursor: the same latest five.
        await controller.loadAccountData(accountId)
        XCTAssertEqual(controller.state.details[accountId]?.latestTransactions.map(\.id), details.latestTransactions.map(\.id))
    }
}
