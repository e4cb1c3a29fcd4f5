import FinConn
import Foundation
import SwiftUI

/// SwiftUI's side of `SampleController` (SampleController.swift), which holds the sample's state and
/// makes every call into the core. This class only publishes that state to the views, which call
/// the controller; the app's `SheetPresenter` (Stripe's sheet, TopViewController.swift) and the
/// unified log are given to the controller here.
@MainActor
final class AppModel: ObservableObject {
    @Published private(set) var state: SampleState
    let controller: SampleController

    init() {
        controller = SampleController(presenter: stripeSheetPresenter(), log: .unified())
        state = controller.state
        controller.onChange = { [weak self] state in
            self?.state = state
        }
    }
}

extension Appearance {
    /// The sample's own screens follow the chosen appearance.
    var colorScheme: ColorScheme? {
        switch self {
        case .automatic: return nil
        case .alwaysLight: return .light
        case .alwaysDark: return .dark
        }
    }
}
