import FinConn
import FinConnStripe
import Foundation
import StripeFinancialConnections
import UIKit

@MainActor
final class Linking {
    static let returnURL = "myapp://stripe-redirect"
    private var client: FlowClient?
    private let presenter: StripeSheetPresenter

    init(presentingFrom viewController: @escaping @MainActor @Sendable () -> UIViewController?) {
        presenter = StripeSheetPresenter(returnURL: Self.returnURL, viewController: viewController)
    }

    /// At launch: the client, then the launch step. Flows interrupted by a kill are finished here.
    func launch(userToken: String) async {
        do {
            let client = try await openClient(userToken: userToken)
            self.client = client
            let recovery = try await client.resumePending()
            recovery.finished.forEach(show)   // results of interrupted links
            // `recovery.waiting` is dropped on purpose: the next launch asks the backend again.
            print("reports delivered \(recovery.reports.delivered), left \(recovery.reports.remaining)")
        } catch {
            showError(error)
        }
    }

    /// "Link your bank account".
    func link() async {
        guard let client else { return }
        let options = SessionOptions(permissions: [.balances, .paymentMethod],
                                     prefetch: [.balances],
                                     returnUrl: Self.returnURL)
        do {
            show(try await client.link(options: options, presenter: presenter))
        } catch {
            showError(error)
        }
    }

    /// Every URL the app is opened with: to Stripe's SDK and to the library.
    func handleOpenURL(_ url: URL) async {
        _ = StripeAPI.handleURLCallback(with: url)
        guard let client else { return }
        if let handling = try? await client.handleUrl(url: url.absoluteString) {
            print("flow link: \(handling.isFlowUrl)")
        }
    }

    private func show(_ result: FlowResult) {
        switch result.status {
        case .completed: print("linked \(result.accounts.map(\.displayLine))")
        case .canceled: print("the user left before linking an account")
        case .failed: print("linking failed: \(result.error ?? "")")
        }
    }

    private func showError(_ error: Error) {
        guard let error = error as? FinConnError else { return print("library error: \(error)") }
        print("\(error.code()) (request \(error.requestId() ?? "none")), retryable \(error.isRetryable())")
    }
}
