import StripeFinancialConnections
import UIKit

extension UIApplication {
    /// The view controller Stripe's sheet is presented from: the top of the key window's
    /// presentation stack. SwiftUI has no view controller of its own to hand out, and
    /// `FinancialConnectionsSheet.present(from:completion:)` needs one that is not presenting.
    var topViewController: UIViewController? {
        let keyWindow = connectedScenes
            .compactMap { $0 as? UIWindowScene }
            .flatMap { $0.windows }
            .first { $0.isKeyWindow }
        var top = keyWindow?.rootViewController
        while let presented = top?.presentedViewController {
            top = presented
        }
        return top
    }
}

/// The app's `SheetPresenter`: Stripe's sheet on top of whatever the key window shows.
@MainActor
final class TopViewControllerPresenter: SheetPresenter {
    func presentation() -> SheetPresentation? {
        guard let presenter = UIApplication.shared.topViewController else { return nil }
        return { sheet, completion in
            sheet.present(from: presenter, completion: completion)
        }
    }
}
