import FinConn
import Foundation
import SwiftUI

/// SwiftUI's side of `SampleController` (SampleController.swift), which holds the sample's state and
/// makes every call into the core and to Stripe's sheet. This class only publishes that state to the
/// views and forwards their actions, adding what needs SwiftUI or UIKit: `ObservableObject`, the
/// scene phase, the presenter of Stripe's sheet (TopViewController.swift) and the unified log.
@MainActor
final class AppModel: ObservableObject {
    @Published private(set) var state: SampleState
    private let controller: SampleController

    init() {
        controller = SampleController(presenter: TopViewControllerPresenter(), log: .unified())
        state = controller.state
        controller.onChange = { [weak self] state in
            self?.state = state
        }
    }

    // MARK: - State

    var accounts: [Account] { state.accounts }
    var statusText: String { state.statusText }
    var phaseText: String { state.phaseText }
    var isBusy: Bool { state.isBusy }
    var sheetStyle: SheetStyle { state.sheetStyle }
    var details: [String: AccountDetails] { state.details }
    var canCheckAgain: Bool { state.canCheckAgain }
    var isConfigured: Bool { state.isConfigured }

    // MARK: - Actions

    func configure() { controller.configure() }

    func launch() async { await controller.launch() }

    func linkAccount() { controller.linkAccount() }

    func relink(_ account: Account) { controller.relink(account) }

    func relink(accountId: String, authorization: String, missing: [Permission]) {
        controller.relink(accountId: accountId, authorization: authorization, missing: missing)
    }

    func checkAgain() { controller.checkAgain() }

    func refreshAccounts() async { await controller.refreshAccounts() }

    func loadAccountData(_ accountId: String) async { await controller.loadAccountData(accountId) }

    func refreshAccountData(_ accountId: String) async { await controller.refreshAccountData(accountId) }

    // MARK: - System events

    /// Every URL the app is opened with (`.onOpenURL`): to Stripe's SDK and to the core.
    func handleOpenURL(_ url: URL) { controller.handleOpenURL(url) }

    func scenePhaseChanged(to phase: ScenePhase) {
        if phase == .background {
            controller.enteredBackground()
        }
    }
}

extension SheetStyle {
    /// The sample's own screens follow the style chosen for Stripe's sheet.
    var colorScheme: ColorScheme? {
        switch self {
        case .automatic: return nil
        case .alwaysLight: return .light
        case .alwaysDark: return .dark
        }
    }
}
