import FinConn
import Foundation
import StripeFinancialConnections

/// What the account screen shows for one account, as the core last answered.
struct AccountDetails {
    var owners: [AccountOwner] = []
    /// The 5 latest transactions of the in-memory ledger, newest first.
    var latestTransactions: [FinConn.Transaction] = []
    /// One line per feature of the last refresh.
    var refreshLines: [String] = []
    /// What the account needs before its data can be read (relink, or gone).
    var action: AccountAction?
    var isLoading = false
}

/// Everything the screens show. `SampleController` changes it; `AppModel` publishes it to SwiftUI.
struct SampleState {
    var accounts: [Account] = []
    var statusText = "Ready"
    var phaseText = ""
    var isBusy = false
    var sheetStyle: SheetStyle = .automatic
    var details: [String: AccountDetails] = [:]
    /// Flows waiting for the backend's answer (offline, 5xx): "Check the result again".
    var waitingFlows: [Flow] = []
    /// A FlowClient exists (its creation can fail on a bad backend URL).
    var isConfigured = false

    var canCheckAgain: Bool { !waitingFlows.isEmpty }
}

/// Presents Stripe's sheet on screen: from UIKit's top view controller in the app
/// (`TopViewControllerPresenter`, TopViewController.swift), a fake in the Linux tests.
@MainActor
protocol SheetPresenter: AnyObject {
    /// Looks now for a screen to present the sheet from: nil when there is none; otherwise a
    /// function that presents a sheet there and hands Stripe's result to its closure when the sheet
    /// closes.
    func presentation() -> SheetPresentation?
}

typealias SheetPresentation = (
    _ sheet: FinancialConnectionsSheet,
    _ completion: @escaping (FinancialConnectionsSheet.Result) -> Void
) -> Void

/// The sample's state and its calls into the core and to Stripe's sheet. Everything that decides
/// something (what a deep link means, what the outcome is, retries, what is persisted, what changed
/// in the transactions) happens in the core; this class only moves values between the screens,
/// Stripe's sheet and the core. Plain Swift: no SwiftUI, UIKit or Combine, so it compiles and runs on
/// Linux too (scripts/ios-sample-check.sh).
@MainActor
final class SampleController {
    /// Every change is handed to `onChange` (AppModel publishes it).
    private(set) var state = SampleState() {
        didSet { onChange?(state) }
    }

    var onChange: ((SampleState) -> Void)?

    /// Data the sample asks the user to share.
    private static let permissions: [Permission] = [.balances, .ownership, .paymentMethod, .transactions]
    private static let allFeatures: [RefreshFeature] = [.balance, .ownership, .transactions]

    private let presenter: SheetPresenter
    private let log: SampleLog
    private let loadSettings: () -> SampleSettings
    private let makeClient: (SampleSettings) async throws -> FlowClient

    private var client: FlowClient?
    /// The client `configure()` is opening; `launch()` waits for it.
    private var opening: Task<Void, Never>?
    private var listenerId: UInt64?
    /// The flow being started or whose sheet is up; deep links go to it.
    private var flow: Flow?
    /// Stripe's sheet while it is on screen.
    private var sheet: FinancialConnectionsSheet?
    private var launched = false
    /// Per account: the cursor of the last `syncTransactions` and the transactions by id. In
    /// memory only; the core decides what changed since the cursor.
    private var ledgers: [String: (cursor: String?, byId: [String: FinConn.Transaction])] = [:]

    /// `loadSettings` and `makeClient` are the app's unless a test replaces them (the Linux tests
    /// point the client at the core's loopback simulator).
    init(
        presenter: SheetPresenter,
        log: SampleLog,
        loadSettings: @escaping () -> SampleSettings = { SampleSettings.load() },
        makeClient: @escaping (SampleSettings) async throws -> FlowClient = SampleController.makeClient
    ) {
        self.presenter = presenter
        self.log = log
        self.loadSettings = loadSettings
        self.makeClient = makeClient
        setLogger(logger: CoreLogForwarder(log), maxLevel: .debug)
        configure()
    }

    /// The app's FlowClient: URLSession through the package's PlatformHttpTransport; the core keeps
    /// every flow and every unsent report in Application Support.
    nonisolated static func makeClient(_ settings: SampleSettings) async throws -> FlowClient {
        let dataDir = try FileManager.default.url(
            for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true
        )
        return try await FlowClient.open(
            config: clientConfig(settings, dataDir: dataDir.path),
            headers: BearerHeaders(token: settings.userToken)
        )
    }

    /// The backend from the settings, the return URL registered in Info.plist, the data directory.
    nonisolated static func clientConfig(_ settings: SampleSettings, dataDir: String) -> FlowClientConfig {
        FlowClientConfig(
            backendUrl: settings.backendURL,
            returnUrls: [SampleConfig.returnURL],
            dataDir: dataDir
        )
    }

    // MARK: - Errors

    /// The one place where the core's errors are caught, for every call that can throw: a
    /// `FinConnError`, or any other error (a panic inside the Rust library arrives as a
    /// non-`FinConnError`). Shows the user's sentence (unless `quiet`), logs it with the request
    /// id, hands the error to `onError`, and returns nil.
    @discardableResult
    private func guarded<T>(
        _ operation: String,
        quiet: Bool = false,
        onError: ((Error) -> Void)? = nil,
        _ body: () async throws -> T
    ) async -> T? {
        do {
            return try await body()
        } catch {
            failed(operation, error, quiet: quiet, onError: onError)
            return nil
        }
    }

    /// `guarded` for the synchronous calls (new flows, deep links without a flow).
    @discardableResult
    private func guarded<T>(
        _ operation: String,
        quiet: Bool = false,
        onError: ((Error) -> Void)? = nil,
        _ body: () throws -> T
    ) -> T? {
        do {
            return try body()
        } catch {
            failed(operation, error, quiet: quiet, onError: onError)
            return nil
        }
    }

    private func failed(_ operation: String, _ error: Error, quiet: Bool, onError: ((Error) -> Void)?) {
        log.app(.error, "\(operation): \(UserMessages.logText(for: error))")
        if !quiet {
            state.statusText = UserMessages.text(for: error)
        }
        onError?(error)
    }

    // MARK: - Setup

    /// (Re)creates the FlowClient from the settings: at launch and when Settings are saved. The
    /// client opens on the library's executor; `configured()` waits for it.
    func configure() {
        let settings = loadSettings()
        state.sheetStyle = settings.sheetStyle
        if let client, let listenerId {
            client.removeListener(listenerId: listenerId)
        }
        client = nil
        listenerId = nil
        state.isConfigured = false
        let previous = opening
        opening = Task {
            await previous?.value
            let created: FlowClient? = await guarded("FlowClient") { try await makeClient(settings) }
            guard let created else { return }
            listenerId = created.addListener(listener: FlowEventsForwarder { [weak self] event in
                // Called on a core thread: hop to the main actor.
                guard let self else { return }
                Task { @MainActor in self.show(event) }
            })
            client = created
            state.isConfigured = true
            state.statusText = "Ready"
        }
    }

    /// Waits until the client of the last `configure()` is open (or failed to open).
    func configured() async {
        await opening?.value
    }

    /// Once, when the first screen appears: the core resumes the flows a killed app left in its
    /// data directory and sends the reports still owed.
    func launch() async {
        await configured()
        guard !launched, let client else { return }
        launched = true
        if let recovery = await guarded("resumePending", { try await client.resumePending() }) {
            let reports = recovery.reports
            log.app(.info, "resumePending: \(recovery.finished.count) finished, \(recovery.waiting.count) waiting, \(recovery.quarantined) quarantined; reports \(reports.delivered) delivered, \(reports.remaining) left, \(reports.dropped) dropped")
            var lines = recovery.finished.map { UserMessages.text(for: $0, known: state.accounts) }
            if !recovery.waiting.isEmpty {
                lines.append("An interrupted linking is waiting for the server.")
            }
            state.waitingFlows = recovery.waiting
            if !lines.isEmpty {
                state.statusText = lines.joined(separator: "\n")
            }
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

    /// Relinks an account the list flags (needs relink now, or soon).
    func relink(_ account: Account) {
        guard let authorization = account.authorization else { return }
        relink(accountId: account.id, authorization: authorization, missing: [])
    }

    /// Relinks as an `AccountAction.relinkRequired` asks, adding the permissions it says are missing.
    func relink(accountId: String, authorization: String, missing: [Permission]) {
        startFlow(SessionOptions(
            permissions: Self.permissions + missing.filter { !Self.permissions.contains($0) },
            relink: RelinkRequest(authorization: authorization, account: accountId),
            returnUrl: SampleConfig.returnURL
        ))
    }

    /// Asks the backend again for the result of every waiting flow.
    func checkAgain() {
        guard !state.isBusy, !state.waitingFlows.isEmpty else { return }
        let flows = state.waitingFlows
        state.waitingFlows = []
        Task {
            for flow in flows {
                await resume(flow)
            }
        }
    }

    func refreshAccounts() async {
        guard let client else { return }
        if let listed = await guarded("listAccounts", { try await client.listAccounts() }) {
            state.accounts = listed
        }
    }

    // MARK: - Account data

    /// The account screen appeared: its owners and the transactions changed since the last sync.
    func loadAccountData(_ accountId: String) async {
        guard let client else { return }
        updateDetails(accountId) { $0.isLoading = true }
        let action = await readOwnersAndTransactions(client, accountId)
        updateDetails(accountId) {
            $0.action = action
            $0.isLoading = false
        }
    }

    /// "Refresh": balance, owners and transactions refreshed at Stripe, then read again.
    func refreshAccountData(_ accountId: String) async {
        guard let client else { return }
        updateDetails(accountId) { $0.isLoading = true }
        let report = await guarded("refresh") {
            try await client.refresh(accountId: accountId, features: Self.allFeatures)
        }
        if let report {
            if let index = state.accounts.firstIndex(where: { $0.id == report.account.id }) {
                state.accounts[index] = report.account
            }
            updateDetails(accountId) { $0.refreshLines = report.features.map { UserMessages.text(for: $0) } }
        }
        let readAction = await readOwnersAndTransactions(client, accountId)
        updateDetails(accountId) {
            $0.action = report?.action ?? readAction
            $0.isLoading = false
        }
    }

    /// Reads the owners and syncs the transactions from the account's cursor; returns the action
    /// either read reported.
    private func readOwnersAndTransactions(_ client: FlowClient, _ accountId: String) async -> AccountAction? {
        let owners = await guarded("owners") { try await client.owners(accountId: accountId) }
        if let owners {
            updateDetails(accountId) { $0.owners = owners.owners }
        }
        var ledger = ledgers[accountId] ?? (cursor: nil, byId: [:])
        let cursor = ledger.cursor
        let sync = await guarded("syncTransactions") {
            try await client.syncTransactions(accountId: accountId, cursor: cursor)
        }
        if let sync {
            ledger.cursor = sync.cursor
            for transaction in sync.transactions {
                ledger.byId[transaction.id] = transaction
            }
            ledgers[accountId] = ledger
            let latest = ledger.byId.values.sorted { $0.transactedAt > $1.transactedAt }.prefix(5)
            updateDetails(accountId) { $0.latestTransactions = Array(latest) }
        }
        return owners?.action ?? sync?.action
    }

    private func updateDetails(_ accountId: String, _ change: (inout AccountDetails) -> Void) {
        var current = state.details[accountId] ?? AccountDetails()
        change(&current)
        state.details[accountId] = current
    }

    // MARK: - Flow

    private func startFlow(_ options: SessionOptions) {
        guard let client, !state.isBusy else { return }
        state.isBusy = true
        state.statusText = "Asking the backend for a session…"
        Task {
            guard let newFlow = guarded("newFlow", { try client.newFlow(options: options) }) else {
                state.isBusy = false
                return
            }
            flow = newFlow
            guard let configuration = await guarded("start", { try await newFlow.start() }) else {
                await endUnshown(newFlow)
                return
            }
            await present(configuration, for: newFlow)
        }
    }

    private func present(_ configuration: SheetConfiguration, for flow: Flow) async {
        guard let presentation = presenter.presentation() else {
            state.statusText = "No screen to present Stripe's sheet from."
            await endUnshown(flow)
            return
        }
        guard await guarded("sheetPresented", { try await flow.sheetPresented() }) != nil else {
            await endUnshown(flow)
            return
        }
        // Stripe's SDK takes the publishable key (and the connected account, for Connect
        // platforms) from its shared API client. Kept in memory only, never logged.
        STPAPIClient.shared.publishableKey = configuration.publishableKey()
        STPAPIClient.shared.stripeAccount = configuration.stripeAccount()
        let sheet = FinancialConnectionsSheet(
            financialConnectionsSessionClientSecret: configuration.clientSecret(),
            returnURL: SampleConfig.returnURL,
            configuration: FinancialConnectionsSheet.Configuration(style: state.sheetStyle.stripeStyle)
        )
        sheet.onEvent = { [weak flow] event in
            flow?.recordStripeEvent(
                name: event.name.rawValue,
                metadata: event.metadata.dictionary.mapValues { "\($0)" }
            )
        }
        self.sheet = sheet
        state.statusText = "Stripe's sheet is open."
        presentation(sheet) { [weak self] result in
            self?.sheetClosed(result, flow: flow)
        }
    }

    /// The sheet was never shown: the flow ends canceled (the core reports a session it already
    /// created as canceled). The error, if any, was already shown.
    private func endUnshown(_ flow: Flow) async {
        await guarded("cancel", quiet: true) { try await flow.cancel() }
        self.flow = nil
        state.isBusy = false
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
        state.statusText = "Checking the result with the backend…"
        Task {
            let known = state.accounts
            let flowResult = await guarded("sheetResult", onError: { [weak self] error in
                self?.keepIfTemporary(flow, error)
            }, {
                try await flow.sheetResult(result: sheetResult)
            })
            self.flow = nil
            state.isBusy = false
            if let flowResult {
                await finish(with: flowResult, known: known)
            }
        }
    }

    private func resume(_ flow: Flow) async {
        state.isBusy = true
        state.statusText = "Checking the result with the backend…"
        let known = state.accounts
        let flowResult = await guarded("resume", onError: { [weak self] error in
            self?.keepIfTemporary(flow, error)
        }, {
            try await flow.resume()
        })
        state.isBusy = false
        if let flowResult {
            await finish(with: flowResult, known: known)
        }
    }

    private func finish(with result: FlowResult, known: [Account]) async {
        state.statusText = UserMessages.text(for: result, known: known)
        await refreshAccounts()
    }

    /// `sheetResult` or `resume` threw. What to do is what the error case says: the temporary
    /// ones leave the flow waiting for its result (ask again later), the others end it. A
    /// storage failure left the flow where it was: asking again once there is space finishes it.
    private func keepIfTemporary(_ flow: Flow, _ error: Error) {
        guard let error = error as? FinConnError else { return }
        switch error {
        case .Offline, .Timeout, .ServiceUnavailable, .Unauthorized, .Storage:
            state.waitingFlows.append(flow)
        case .InvalidConfiguration, .InvalidState, .Rejected, .SnapshotUnusable, .Tls, .Other:
            break
        }
    }

    // MARK: - System events

    /// Every URL the app is opened with: Stripe's SDK sees it, and so does the core (the flow whose
    /// sheet is up, else the client's check); neither is parsed here.
    func handleOpenURL(_ url: URL) {
        let handledByStripe = StripeAPI.handleURLCallback(with: url)
        if let flow {
            Task {
                if let handling = await guarded("handleUrl", quiet: true, { try await flow.handleUrl(url: url.absoluteString) }) {
                    log.app(.info, "deep link: flow link \(handling.isFlowUrl), recorded \(handling.recorded), Stripe handled \(handledByStripe)")
                }
            }
        } else if let client {
            if let check = guarded("checkUrl", quiet: true, { try client.checkUrl(url: url.absoluteString) }) {
                log.app(.info, "deep link without a flow: matched \(check.matched), Stripe handled \(handledByStripe)")
            }
        }
    }

    /// The app went to the background. While Stripe's sheet is up, that is the user going to the
    /// bank's app or Safari: the core has already saved the flow; after a kill, `resumePending()`
    /// finds it.
    func enteredBackground() {
        guard sheet != nil, let flow else { return }
        Task { await guarded("userLeftApp", quiet: true) { try await flow.userLeftApp() } }
    }

    // MARK: - Display

    private func show(_ event: FlowEvent) {
        switch event {
        case .phaseChanged(_, _, let to):
            state.phaseText = "Flow: \(to)"
        case .finished(_, let status):
            state.phaseText = "Flow finished: \(status)"
        case .backendCall(let endpoint, let attempt, let status, let requestId, let error):
            // The request id is the server's, for support; the core's endpoint names hold no secret.
            let httpStatus = status.map { String($0) } ?? "none"
            let requestText = requestId ?? "none"
            let errorText = error ?? "none"
            log.app(.debug, "backend call \(endpoint) #\(attempt): status \(httpStatus), request \(requestText), error \(errorText)")
        case .configurationWarning(let code, let message):
            // A configuration mistake (e.g. the wrong Android app id): loud in a debug log.
            log.app(.error, "configuration warning \(code): \(message)")
        case .returnUrlChecked, .reportQueued, .reportDelivered, .reportDropped, .stripeEvent:
            log.app(.debug, "flow event: \(String(describing: event))")
        }
    }
}
