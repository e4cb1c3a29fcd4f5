// FinConnStripe's StripeSheetPresenter run on Linux (scripts/stripe-adapters-check.sh): the adapter's
// own source, compiled with the UIKit and Stripe stand-ins of LinuxCheck/Stubs, driven by
// `FlowClient.link` of the real FinConn library with its `testing` exports. The core's loopback
// simulator (`TestSimulator`) stands in for the backend and for Stripe; the stand-in sheet's test
// hook plays the user: an event of Stripe's, the app going to the background, the session finished
// at the bank, the redirect through `FlowClient.handleUrl`, then Stripe's result.
import Foundation
import XCTest

import FinConn
import FinConnStripe
@_spi(LinuxCheckTesting) import StripeCore
@_spi(LinuxCheckTesting) import StripeFinancialConnections
import UIKit

private let returnURL = "finconn-test://stripe-redirect"

private final class UserToken: HeadersProvider {
    func headers() -> [String: String] {
        ["Authorization": "Bearer swift-stripe-adapter"]
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

/// What `link` handed the presenter, for the test's "user" (the stand-in sheet sees only Stripe's
/// side). Forwards to the adapter under test and changes nothing.
private final class Recording: SheetPresenter, @unchecked Sendable {
    private let inner: StripeSheetPresenter
    private let lock = NSLock()
    private var seen: [(sessionId: String, clientSecret: String, publishableKey: String, account: String?)] = []

    init(_ inner: StripeSheetPresenter) {
        self.inner = inner
    }

    var configurations: [(sessionId: String, clientSecret: String, publishableKey: String, account: String?)] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }

    func present(configuration: SheetConfiguration, events: LinkEvents) async throws -> SheetResult {
        record(configuration)
        return try await inner.present(configuration: configuration, events: events)
    }

    private func record(_ configuration: SheetConfiguration) {
        lock.lock()
        defer { lock.unlock() }
        seen.append((
            configuration.sessionId(), configuration.clientSecret(), configuration.publishableKey(),
            configuration.stripeAccount()
        ))
    }
}

private struct BankDown: Error {}

/// A view controller that is presenting another one.
private final class Presenting: UIViewController {
    override var presentedViewController: UIViewController? { UIViewController() }
}

@MainActor
final class StripeSheetPresenterTests: XCTestCase {
    private var sim: TestSimulator!
    private var dataDir: URL!
    /// The view controller the app hands the adapter.
    private let screen = UIViewController()

    override func setUp() async throws {
        sim = try TestSimulator.start()
        dataDir = FileManager.default.temporaryDirectory
            .appendingPathComponent("finconn-stripe-adapter-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        FinancialConnectionsSheet.linuxCheckSheet = nil
        sim?.shutdown()
        sim = nil
        if let dataDir {
            try? FileManager.default.removeItem(at: dataDir)
        }
    }

    private func newClient() async throws -> FlowClient {
        try await FlowClient.open(
            config: FlowClientConfig(
                backendUrl: sim.backendUrl(),
                returnUrls: [returnURL],
                dataDir: dataDir.path,
                stripeApiUrl: sim.backendUrl(),
                requestTimeoutMs: 5_000
            ),
            headers: UserToken()
        )
    }

    private func options() -> SessionOptions {
        SessionOptions(permissions: [.balances, .paymentMethod], returnUrl: returnURL)
    }

    /// The user at `institution`: the simulator finishes the session, the bank's redirect comes
    /// back through `handleUrl`.
    private func finishAtTheBank(_ client: FlowClient, _ sessionId: String, _ institution: String) async throws {
        let done = try sim.completeSheet(sessionId: sessionId, institution: institution)
        if let url = done.redirectUrl {
            let handled = try await client.handleUrl(url: url)
            XCTAssertTrue(handled.isFlowUrl && handled.recorded, "\(handled)")
        }
    }

    func testLinkThroughStripesSheetCompletesAndReportsWhatTheSheetDid() async throws {
        let client = try await newClient()
        let events = Events()
        _ = client.addListener(listener: events)
        let presenter = Recording(StripeSheetPresenter(returnURL: returnURL) { [screen] in screen })
        var sheets: [FinancialConnectionsSheet] = []
        var presentedFrom: [UIViewController] = []
        FinancialConnectionsSheet.linuxCheckSheet = { sheet, from, completion in
            sheets.append(sheet)
            presentedFrom.append(from)
            sheet.onEvent?(FinancialConnectionsEvent(name: .open, metadata: ["manual_entry": false]))
            // The user goes to the bank's app: UIKit posts this on the main thread.
            NotificationCenter.default.post(name: UIApplication.didEnterBackgroundNotification, object: nil)
            // `handleUrl` is async: the sheet completes once the redirect was handled.
            let sessionId = presenter.configurations.last?.sessionId
            Task {
                do {
                    try await self.finishAtTheBank(client, try XCTUnwrap(sessionId), "success_three")
                } catch {
                    XCTFail("\(error)")
                }
                DispatchQueue.main.async { completion(.completed(session: .init())) }
            }
        }

        let result = try await client.link(options: options(), presenter: presenter)

        XCTAssertEqual(result.status, .completed)
        XCTAssertEqual(result.accounts.count, 3)
        XCTAssertEqual(try sim.sessionsCreated(), 1)
        XCTAssertEqual(try sim.reportsReceived(sessionId: try XCTUnwrap(result.sessionId)), 1)
        // The sheet got the session's secret, its own API client with the session's key and
        // account, and was presented from the app's view controller; the shared client is untouched.
        let configuration = try XCTUnwrap(presenter.configurations.first)
        XCTAssertEqual(sheets.count, 1)
        let sheet = try XCTUnwrap(sheets.first)
        XCTAssertEqual(sheet.financialConnectionsSessionClientSecret, configuration.clientSecret)
        XCTAssertEqual(sheet.apiClient.publishableKey, configuration.publishableKey)
        XCTAssertEqual(sheet.apiClient.stripeAccount, configuration.account)
        XCTAssertFalse(sheet.apiClient === STPAPIClient.shared)
        XCTAssertNil(STPAPIClient.shared.publishableKey)
        XCTAssertTrue(presentedFrom.first === screen)
        // Stripe's event reached the flow's listeners; the background notification was the user
        // leaving for the bank.
        XCTAssertTrue(events.all.contains { event in
            if case let .stripeEvent(_, name, _) = event { return name == "open" }
            return false
        }, "\(events.all)")
        let phases = events.all.compactMap { event -> FlowPhase? in
            if case let .phaseChanged(_, _, to) = event { return to }
            return nil
        }
        XCTAssertTrue(phases.contains(.awaitingReturn), "\(phases)")
    }

    func testNoViewControllerToPresentFromCancelsTheFlowWithoutPresenting() async throws {
        let client = try await newClient()
        var presented = 0
        FinancialConnectionsSheet.linuxCheckSheet = { _, _, _ in presented += 1 }
        let busy = Presenting()
        // None at all, and one already presenting another view controller.
        for screen in [nil, busy] as [UIViewController?] {
            let presenter = Recording(StripeSheetPresenter(returnURL: returnURL) { screen })
            do {
                _ = try await client.link(options: options(), presenter: presenter)
                XCTFail("link returned")
            } catch let error as FinConnError {
                XCTAssertEqual(error.code(), "other")
                XCTAssertFalse(String(describing: error).contains("view controller"), "the adapter's reason is never shown")
            }
            let sessionId = try XCTUnwrap(presenter.configurations.first).sessionId
            XCTAssertEqual(try sim.reportsReceived(sessionId: sessionId), 1)
        }
        XCTAssertEqual(presented, 0)
    }

    func testACanceledAndAFailedSheetEndTheFlowWithTheirStatus() async throws {
        let client = try await newClient()
        let presenter = Recording(StripeSheetPresenter(returnURL: returnURL) { [screen] in screen })
        FinancialConnectionsSheet.linuxCheckSheet = { _, _, completion in
            let sessionId = presenter.configurations.last?.sessionId
            Task {
                do {
                    try await self.finishAtTheBank(client, try XCTUnwrap(sessionId), "oauth_canceled")
                } catch {
                    XCTFail("\(error)")
                }
                DispatchQueue.main.async { completion(.canceled) }
            }
        }
        let canceled = try await client.link(options: options(), presenter: presenter)
        XCTAssertEqual(canceled.status, .canceled)
        XCTAssertTrue(canceled.accounts.isEmpty)

        FinancialConnectionsSheet.linuxCheckSheet = { _, _, completion in
            DispatchQueue.main.async { completion(.failed(error: BankDown())) }
        }
        let failed = try await client.link(options: options(), presenter: presenter)
        XCTAssertEqual(failed.status, .failed)
        XCTAssertTrue(failed.accounts.isEmpty)
        for result in [canceled, failed] {
            XCTAssertEqual(try sim.reportsReceived(sessionId: try XCTUnwrap(result.sessionId)), 1)
        }
    }
}
