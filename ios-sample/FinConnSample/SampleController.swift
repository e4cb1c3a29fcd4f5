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
    var appearance: Appearance = .automatic
    var details: [String: AccountDetails] = [:]
    /// The last "Check setup" (debug builds): the library's self-check, as it worded it.
    var setupFindings: [SetupFinding] = []
    /// A FlowClient exists (its creation can fail on a bad backend URL).
    var isConfigured = false
}

/// The sample's state and its calls into the core. Linking is one call, `FlowClient.link`, with the
/// `SheetPresenter` the app gives (FinConnStripe's `StripeSheetPresenter` in the app, a fake in the
/// Linux tests); every URL the app is opened with goes to `FlowClient.handleUrl`; the launch step is
/// `FlowClient.resumePending()`. Everything else is showing what the core answered. Plain Swift: no
/// SwiftUI, UIKit or Combine, so it compiles and runs on Linux too (scripts/ios-sample-check.sh).
@MainActor
final class SampleController {
    /// Every change is handed to `onChange` (AppModel publishes it).
    private(set) var state = SampleState() {
        didSet { onChange?(state) }
    }

    var onChange: ((SampleState) -> Void)?

    /// Data the sample asks the user to share.
    private static let permissions: [Permission] = [.balances, .ownership, .paymentMethod, .transactions]
    private static let allFeatures: [DataFeature] = [.balances, .ownership, .transactions]

    private let presenter: SheetPresenter
    private let log: SampleLog
    private let loadSettings: () -> SampleSettings
    private let makeConfig: (SampleSettings) throws -> FlowClientConfig

    private var client: FlowClient?
    /// Per account: the cursor of the last `syncTransactions` and the transactions by id. In
    /// memory only; the core decides what changed since the cursor.
    private var ledgers: [String: (cursor: String?, byId: [String: FinConn.Transaction])] = [:]

    /// `loadSettings` and `makeConfig` are the app's unless a test replaces them (the Linux tests
    /// point the client at the core's loopback simulator and a temporary data directory).
    init(
        presenter: SheetPresenter,
        log: SampleLog,
        loadSettings: @escaping () -> SampleSettings = { SampleSettings.load() },
        makeConfig: @escaping (SampleSettings) throws -> FlowClientConfig = { try SampleController.clientConfig($0) }
    ) {
        self.presenter = presenter
        self.log = log
        self.loadSettings = loadSettings
        self.makeConfig = makeConfig
        setLogger(logger: CoreLogForwarder(log), maxLevel: .debug)
    }

    /// The backend from the settings, the return URL registered in Info.plist, the data directory.
    nonisolated static func clientConfig(_ settings: SampleSettings) throws -> FlowClientConfig {
        FlowClientConfig(
            backendUrl: settings.backendURL,
            returnUrls: [SampleConfig.returnURL],
            dataDir: try dataDirectory()
        )
    }

    /// Application Support/finconn, excluded from backup: the flows and reports the core keeps
    /// there belong to this installation on this device (bindings/swift/README.md, "Where
    /// `dataDir` goes").
    nonisolated static func dataDirectory() throws -> String {
        var directory = try FileManager.default.url(
            for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true
        ).appendingPathComponent("finconn", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try directory.setResourceValues(values)
        return directory.path
    }

    /// The one place a FlowClient is created (URLSession through the package's
    /// PlatformHttpTransport).
    nonisolated static func openClient(_ config: FlowClientConfig, headers: HeadersProvider) async throws -> FlowClient {
        try await FlowClient.open(config: config, headers: headers)
    }

    // MARK: - Errors

    /// The one place where the core's errors are caught, for every call that can throw: a
    /// `FinConnError`, or any other error (a panic inside the Rust library arrives as a
    /// non-`FinConnError`). Shows the user's sentence (unless `quiet`), logs it with the request
    /// id, and returns nil.
    private func guarded<T>(_ operation: String, quiet: Bool = false, _ body: () async throws -> T) async -> T? {
        do {
            return try await body()
        } catch {
            log.app(.error, "\(operation): \(UserMessages.logText(for: error))")
            if !quiet {
                state.statusText = UserMessages.text(for: error)
            }
            return nil
        }
    }

    // MARK: - Launch

    /// When the first screen appears: the client, then the launch step. Running it again repeats
    /// only the launch step, which the core makes idempotent.
    func launch() async {
        if client == nil {
            await connect()
        }
        guard let client else { return }
        // The launch step: the core finishes the flows a killed app left in its data directory and
        // sends the reports still owed.
        if let recovery = await guarded("resumePending", { try await client.resumePending() }) {
            let reports = recovery.reports
            log.app(.info, "resumePending: \(recovery.finished.count) finished, \(recovery.waiting.count) waiting, \(recovery.quarantined) quarantined; reports \(reports.delivered) delivered, \(reports.remaining) left, \(reports.dropped) dropped")
            var lines = recovery.finished.map { UserMessages.text(for: $0, known: state.accounts) }
            if !recovery.waiting.isEmpty {
                // Not kept: the next launch step asks the backend again.
                lines.append("An interrupted linking is waiting for the server: the app asks again at its next launch.")
            }
            if !lines.isEmpty {
                state.statusText = lines.joined(separator: "\n")
            }
        }
        await refreshAccounts()
    }

    /// Settings were saved: a client for the new backend or user, then the launch step.
    func applySettings() async {
        client = nil
        await launch()
    }

    private func connect() async {
        let settings = loadSettings()
        state.appearance = settings.appearance
        state.isConfigured = false
        let created = await guarded("FlowClient") {
            try await Self.openClient(try makeConfig(settings), headers: BearerHeaders(token: settings.userToken))
        }
        guard let created else { return }
        _ = created.addListener(listener: FlowEventsForwarder { [weak self] event in
            // Called on a core thread: hop to the main actor.
            Task { @MainActor in self?.show(event) }
        })
        client = created
        state.isConfigured = true
        state.statusText = "Ready"
    }

    // MARK: - Linking

    func linkAccount() async {
        await link(SessionOptions(
            permissions: Self.permissions,
            prefetch: [.balances],
            returnUrl: SampleConfig.returnURL
        ))
    }

    /// Relinks an account the list flags (needs relink now, or soon).
    func relink(_ account: Account) async {
        guard let authorization = account.authorization else { return }
        await relink(accountId: account.id, authorization: authorization, missing: [])
    }

    /// Relinks as an `AccountAction.relinkRequired` asks, adding the permissions it says are missing.
    func relink(accountId: String, authorization: String, missing: [Permission]) async {
        await link(SessionOptions(
            permissions: Self.permissions + missing.filter { !Self.permissions.contains($0) },
            relink: RelinkRequest(authorization: authorization, account: accountId),
            returnUrl: SampleConfig.returnURL
        ))
    }

    /// The whole flow: session, Stripe's sheet, the trip to the bank, the reconciled result.
    private func link(_ options: SessionOptions) async {
        guard let client, !state.isBusy else { return }
        state.isBusy = true
        state.statusText = "Linking your bank account…"
        let known = state.accounts
        let result = await guarded("link") { try await client.link(options: options, presenter: presenter) }
        state.isBusy = false
        if let result {
            state.statusText = UserMessages.text(for: result, known: known)
            await refreshAccounts()
        }
    }

    /// Every URL the app is opened with: Stripe's SDK sees it, and so does the core, which gives it
    /// to the flow waiting for the user to come back; neither is parsed here.
    func handleOpenURL(_ url: URL) async {
        let handledByStripe = StripeAPI.handleURLCallback(with: url)
        guard let client else { return }
        if let handling = await guarded("handleUrl", quiet: true, { try await client.handleUrl(url: url.absoluteString) }) {
            log.app(.info, "deep link: flow link \(handling.isFlowUrl), recorded \(handling.recorded), Stripe handled \(handledByStripe)")
        }
    }

    /// "Check setup" (debug builds): the library's self-check of the configuration.
    func checkSetup() async {
        guard let client else { return }
        let findings = await client.checkSetup()
        for finding in findings where !finding.passed {
            log.app(.error, "setup check \(finding.code): \(finding.message)")
        }
        state.setupFindings = findings
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
            let latest = ledger.byId.values.sorted { $0.transactedAtUnixSeconds > $1.transactedAtUnixSeconds }.prefix(5)
            updateDetails(accountId) { $0.latestTransactions = Array(latest) }
        }
        return owners?.action ?? sync?.action
    }

    private func updateDetails(_ accountId: String, _ change: (inout AccountDetails) -> Void) {
        var current = state.details[accountId] ?? AccountDetails()
        change(&current)
        state.details[accountId] = current
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
