import FinConn
import FinConnStripe
import UIKit

extension UIApplication {
    /// The view controller Stripe's sheet is presented from: the top of the key window's
    /// presentation stack. SwiftUI has no view controller of its own to hand out, and Stripe's
    /// sheet needs one that is not presenting.
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

/// The app's `SheetPresenter`: Stripe's sheet (FinConnStripe) on top of whatever the key window
/// shows, returning to the URL Info.plist registers. It also tells the flow when the user leaves
/// for the bank and forwards Stripe's events.
@MainActor
func stripeSheetPresenter() -> SheetPresenter {
    StripeSheetPresenter(returnURL: SampleConfig.returnURL) { UIApplication.shared.topViewController }
}
