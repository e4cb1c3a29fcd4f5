// FinConnStripe: FinConn's `SheetPresenter` around Stripe's `FinancialConnectionsSheet` (stripe-ios).
// UIKit only: on a platform without UIKit (macOS) the module is empty.
#if canImport(UIKit)
import FinConn
import Foundation
import StripeFinancialConnections
import UIKit

/// Presents Stripe's `FinancialConnectionsSheet` for `FlowClient.link`:
///
///     let presenter = StripeSheetPresenter(returnURL: "https://example.com/stripe-redirect") { [weak self] in self }
///     let result = try await client.link(options: options, presenter: presenter)
///
/// While the sheet is up it forwards Stripe's events (`onEvent`) to `LinkEvents.recordStripeEvent`
/// and reports the app going to the background (the user went to the bank's app or Safari) with
/// `LinkEvents.userLeftApp()`; the app does nothing else for the flow but `FlowClient.handleUrl` on
/// every incoming URL and `FlowClient.resumePending()` at launch.
///
/// Each sheet gets its own `STPAPIClient` with the session's publishable key and connected account:
/// `STPAPIClient.shared` is left as the app set it. The client secret goes to Stripe's sheet only.
public final class StripeSheetPresenter: SheetPresenter {
    private let returnURL: String?
    private let viewController: @MainActor @Sendable () -> UIViewController?

    /// - Parameters:
    ///   - returnURL: the URL that brings the user back to the app after authenticating in the
    ///     bank's app or Safari (Stripe's `returnURL`; one of the client's `returnUrls`). Without
    ///     it, Stripe's sheet has no way back into the app from there.
    ///   - viewController: called on the main actor at each presentation: the view controller to
    ///     present from, one that is not presenting anything; nil when there is none. Without one
    ///     (nil, or it is presenting), `link` ends the flow canceled and throws `FinConnError.Other`.
    public init(
        returnURL: String? = nil,
        viewController: @escaping @MainActor @Sendable () -> UIViewController?
    ) {
        self.returnURL = returnURL
        self.viewController = viewController
    }

    public func present(configuration: SheetConfiguration, events: LinkEvents) async throws -> SheetResult {
        try await presentOnMainActor(configuration, events)
    }

    @MainActor
    private func presentOnMainActor(_ configuration: SheetConfiguration, _ events: LinkEvents) async throws -> SheetResult {
        guard let presenting = viewController() else {
            throw CallbackError.Failed(reason: "no view controller to present Stripe's sheet from")
        }
        // Stripe's sheet would fail at once ("already presenting"); the sheet never showing is a
        // canceled flow, not a failed one.
        guard presenting.presentedViewController == nil else {
            throw CallbackError.Failed(reason: "the view controller is already presenting another one")
        }
        let apiClient = STPAPIClient(publishableKey: configuration.publishableKey())
        apiClient.stripeAccount = configuration.stripeAccount()
        let sheet = FinancialConnectionsSheet(
            financialConnectionsSessionClientSecret: configuration.clientSecret(),
            returnURL: returnURL
        )
        sheet.apiClient = apiClient
        sheet.onEvent = { event in
            events.recordStripeEvent(
                name: event.name.rawValue,
                metadata: event.metadata.dictionary.mapValues { "\($0)" }
            )
        }
        // UIKit posts it on the main thread; `userLeftApp()` writes the flow's progress on the
        // library's executor, so it is awaited in a task, never on the main thread.
        let observer = NotificationCenter.default.addObserver(
            forName: UIApplication.didEnterBackgroundNotification, object: nil, queue: nil
        ) { _ in
            Task { await events.userLeftApp() }
        }
        defer { NotificationCenter.default.removeObserver(observer) }
        return await withCheckedContinuation { continuation in
            sheet.present(from: presenting) { result in
                continuation.resume(returning: Self.sheetResult(result))
            }
        }
    }

    private static func sheetResult(_ result: FinancialConnectionsSheet.Result) -> SheetResult {
        switch result {
        case .completed:
            return .completed
        case .canceled:
            return .canceled
        case .failed(let error):
            return .failed(error: error.localizedDescription)
        }
    }
}
#endif
