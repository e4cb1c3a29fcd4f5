import FinConn
import Foundation
import os
import StripeFinancialConnections
import SwiftUI
import UIKit

/// Where an unfinished flow's snapshot waits while the app is in the background, in case iOS
/// kills it. UserDefaults is enough: `Flow.snapshot()` holds no secret (never the client secret or
/// the publishable key, the core guarantees it), only ids and where the flow was.
struct SnapshotStore {
    private let key = "finconn.unfinishedFlowSnapshot"
    private let defaults = UserDefaults.standard

    func load() -> String? { defaults.string(forKey: key) }
    func save(_ snapshot: String) { defaults.set(snapshot, forKey: key) }
    func clear() { defaults.removeObject(forKey: key) }
}

/// The sample's state and its calls into the core. Everything that decides something (what a deep
/// link means, what the outcome is, retries, what is persisted in the snapshot) happens in the
/// core; this class only moves values between SwiftUI, Stripe's sheet and the core.
@MainActor
final class AppModel: ObservableObject {
    @Published private(set) var accounts: [Account] = []
    @Published private(set) var statusText = "Ready"
    @Published private(set) var phaseText = ""
    @Published private(set) var isBusy = false
    @Published private(set) var canCheckAgain = false
    @Published private(set) var sheetStyle: SheetStyle = .automatic

    /// Data the sample asks the user to share.
    private static let permissions: [Permission] = [.balances, .ownership, .paymentMethod, .transactions]

    private var client: FlowClient?
    private var listenerId: UInt64?
    /// The flow in progress; nil once it has its final result.
    private var flow: Flow?
    /// A flow restored from a snapshot at launch, waiting for `resume()`.
    private var restoredFlow: Flow?
    /// Stripe's sheet while it is on screen.
    private var sheet: FinancialConnectionsSheet?
    private var launched = false
    private let snapshots = SnapshotStore()
    private let log = os.Logger(subsystem: "io.finconn.sample", category: "app")

    var isConfigured: Bool { client != nil }

    init() {
        setLogger(logger: OSLogForwarder(), maxLevel: .debug)
        configure()
        restoreUnfinishedFlow()
    }

    // MARK: - Setup

    /// (Re)creates the FlowClient from the settings: at launch and when Settings are saved.
    func configure() {
        let settings = SampleSettings.load()
        sheetStyle = settings.sheetStyle
        if let client, let listenerId {
            client.removeListener(listenerId: listenerId)
        }
        client = nil
        listenerId = nil
        do {
            let dataDir = try FileManager.default.url(
                for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true
            )
            let config = FlowClientConfig(
                backendUrl: settings.backendURL,
                returnUrls: [SampleConfig.returnURL],
                dataDir: dataDir.path
            )
            let client = try FlowClient(config: config, headers: BearerHeaders(token: settings.userToken))
            listenerId = client.addListener(listener: FlowEventsForwarder { [weak self] event in
                // Called on a core thread: hop to the main actor.
                guard let self else { return }
                Task { @MainActor in self.show(event) }
            })
            self.client = client
            statusText = "Ready"
        } catch {
            show(error)
        }
    }

    /// A flow the previous run left unfinished (the app was killed while Stripe's sheet was up).
    /// Restored before any deep link can arrive, resumed in `launch()`.
    private func restoreUnfinishedFlow() {
        guard let client, let snapshot = snapshots.load() else { return }
        snapshots.clear()
        do {
            let restored = try client.restoreFlow(snapshot: snapshot)
            flow = restored
            restoredFlow = restored
        } catch {
            show(error)
        }
    }

    /// Once, when the first screen appears.
    func launch() async {
        guard !launched, let client else { return }
        launched = true
        do {
            let summary = try await client.sendPendingReports()
            log.info("pending reports: \(summary.delivered) delivered, \(summary.remaining) left, \(summary.dropped) dropped")
        } catch {
            log.error("sendPendingReports: \(UserMessages.text(for: error), privacy: .public)")
        }
        if let restored = restoredFlow {
            restoredFlow = nil
            await resume(restored)
        }
        await refreshAccounts()
    }

    // MARK: - User actions

    func linkAccount() {
        startFlow(SessionOptions(
            permissions: Self.permissions,
            prefetch: [.balances],
            returnUrl: SampleConfig.returnURL
        ))
    }

    func relink(_ account: Account) {
        guard let authorization = account.authorization else { return }
        startFlow(SessionOptions(
            permissions: Self.permissions,
            relink: RelinkRequest(authorization: authorization, account: account.id),
            returnUrl: SampleConfig.returnURL
        ))
    }

    func checkAgain() {
        guard let flow, !isBusy else { return }
        Task { await resume(flow) }
    }

    func refreshAccounts() async {
        guard let client else { return }
        do {
            accounts = try await client.listAccounts()
        } catch {
            show(error)
        }
    }

    // MARK: - Flow

    private func startFlow(_ options: SessionOptions) {
        guard let client, !isBusy else { return }
        isBusy = true
        canCheckAgain = false
        statusText = "Asking the backend for a session…"
        Task {
            do {
                let newFlow = try client.newFlow(options: options)
                flow = newFlow
                let configuration = try await newFlow.start()
                present(configuration, for: newFlow)
            } catch {
                // Nothing was shown to the user yet: drop the flow, a new tap starts a new one.
                flow = nil
                isBusy = false
                show(error)
            }
        }
    }

    private func present(_ configuration: SheetConfiguration, for flow: Flow) {
        guard let presenter = UIApplication.shared.topViewController else {
            self.flow = nil
            isBusy = false
            statusText = "No screen to present Stripe's sheet from."
            return
        }
        // Stripe's SDK takes the publishable key (and the connected account, for Connect
        // platforms) from its shared API client. Kept in memory only, never logged.
        STPAPIClient.shared.publishableKey = configuration.publishableKey()
        STPAPIClient.shared.stripeAccount = configuration.stripeAccount()
        let sheet = FinancialConnectionsSheet(
            financialConnectionsSessionClientSecret: configuration.clientSecret(),
            returnURL: SampleConfig.returnURL,
            configuration: FinancialConnectionsSheet.Configuration(style: sheetStyle.stripeStyle)
        )
        sheet.onEvent = { [weak flow] event in
            flow?.recordStripeEvent(
                name: event.name.rawValue,
                metadata: event.metadata.dictionary.mapValues { "\($0)" }
            )
        }
        do {
            try flow.sheetPresented()
        } catch {
            self.flow = nil
            isBusy = false
            show(error)
            return
        }
        self.sheet = sheet
        statusText = "Stripe's sheet is open."
        sheet.present(from: presenter) { [weak self] result in
            self?.sheetClosed(result, flow: flow)
        }
    }

    private func sheetClosed(_ result: FinancialConnectionsSheet.Result, flow: Flow) {
        sheet = nil
        let sheetResult: SheetResult
        switch result {
        case .completed:
            sheetResult = .completed
        case .canceled:
            sheetResult = .canceled
        case .failed(let error):
            sheetResult = .failed(error: error.localizedDescription)
        }
        statusText = "Checking the result with the backend…"
        Task {
            do {
                let flowResult = try await flow.sheetResult(result: sheetResult)
                finish(with: flowResult)
            } catch {
                failed(error)
            }
        }
    }

    private func resume(_ flow: Flow) async {
        isBusy = true
        canCheckAgain = false
        statusText = "Checking the result with the backend…"
        do {
            let flowResult = try await flow.resume()
            finish(with: flowResult)
        } catch {
            failed(error)
        }
    }

    private func finish(with result: FlowResult) {
        flow = nil
        snapshots.clear()
        isBusy = false
        canCheckAgain = false
        statusText = UserMessages.text(for: result)
        Task { await refreshAccounts() }
    }

    /// `sheetResult` or `resume` threw. What to do is what the error case says: the temporary
    /// ones leave the flow waiting for its result (ask again later), the others end it.
    private func failed(_ error: Error) {
        isBusy = false
        show(error)
        var temporary = false
        if let error = error as? FinConnError {
            switch error {
            case .Offline, .Timeout, .ServiceUnavailable, .Unauthorized:
                temporary = true
            case .InvalidConfiguration, .InvalidState, .Rejected, .SnapshotUnusable, .Other:
                temporary = false
            }
        }
        canCheckAgain = temporary
        if !temporary {
            flow = nil
        }
    }

    // MARK: - System events

    /// Every URL the app is opened with, after Stripe's SDK saw it too.
    func handleOpenURL(_ url: URL, handledByStripe: Bool) {
        do {
            if let flow {
                let handling = try flow.handleUrl(url: url.absoluteString)
                log.info("deep link: flow link \(handling.isFlowUrl), recorded \(handling.recorded), Stripe handled \(handledByStripe)")
            } else if let client {
                let check = try client.checkUrl(url: url.absoluteString)
                log.info("deep link without a flow: matched \(check.matched), Stripe handled \(handledByStripe)")
            }
        } catch {
            log.error("deep link: \(UserMessages.text(for: error), privacy: .public)")
        }
    }

    func scenePhaseChanged(to phase: ScenePhase) {
        guard phase == .background, let flow else { return }
        if sheet != nil {
            // Stripe's sheet is up and the app leaves: the user went to the bank's app or Safari.
            do {
                try flow.userLeftApp()
            } catch {
                log.error("userLeftApp: \(UserMessages.text(for: error), privacy: .public)")
            }
        }
        // iOS may kill the app from here on: keep what the core needs to resume the flow.
        snapshots.save(flow.snapshot())
    }

    // MARK: - Display

    private func show(_ error: Error) {
        let message = UserMessages.text(for: error)
        statusText = message
        log.error("\(message, privacy: .public)")
    }

    private func show(_ event: FlowEvent) {
        switch event {
        case .phaseChanged(_, _, let to):
            phaseText = "Flow: \(to)"
        case .finished(_, let status):
            phaseText = "Flow finished: \(status)"
        case .returnUrlChecked, .reportQueued, .reportDelivered, .reportDropped, .stripeEvent:
            log.debug("flow event: \(String(describing: event), privacy: .public)")
        }
    }
}
