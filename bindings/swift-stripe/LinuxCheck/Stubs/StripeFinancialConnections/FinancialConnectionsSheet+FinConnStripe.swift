// Linux-only, for scripts/stripe-adapters-check.sh: the StripeFinancialConnections API that
// Sources/FinConnStripe uses beyond what
// ios-sample/LinuxCheck/Stubs/StripeFinancialConnections/StripeFinancialConnections.swift already
// declares for the sample (that file's `FinancialConnectionsSheet`, its `init`, `onEvent` and
// `Result` are reused, not copied). The check compiles both files into one stand-in module
// `StripeFinancialConnections`, which imports the UIKit stand-in of ../UIKit. NOT Stripe's SDK;
// never part of an app.
//
// Traced to stripe-ios public source (https://github.com/stripe/stripe-ios),
// `StripeFinancialConnections/StripeFinancialConnections/Source/FinancialConnectionsSheet.swift`,
// read in:
//   * tag 23.26.0 of stripe-ios-spm (Stripe's SwiftPM repository of tagged stripe-ios sources),
//     commit 3631ddcfa4c5dcccc4609b1682bbdec3d586bba8;
//   * stripe-ios commit 8faef2a3a66a6e213751db2605c0757852703e2e, a 24.x development copy (the
//     newest copy of the file available to read).
// The adapter pins stripe-ios-spm 26.7.0 or newer; no 26.x copy of the file could be read here.
// stripe-react-native commit 42283e614e00cc51b01b14b9edc9be11dbf65f5c (2026-08-19), whose podspec
// pins stripe-ios 26.7.0, calls `present(from:completion:)` as the adapter does
// (ios/FinancialConnections.swift).
//
// Bodies are minimal: the Linux tests (LinuxCheck/Tests) run the adapter through them and play
// Stripe's sheet with the test-only hook at the end.

import UIKit

/// Side storage of `apiClient`: Stripe's is a stored property of the class, which an extension
/// cannot add. Entries are never removed (the Linux tests create a handful of sheets).
private var apiClients: [ObjectIdentifier: STPAPIClient] = [:]

extension FinancialConnectionsSheet {
    /// The client the sheet's requests use (publishable key, connected account).
    ///
    /// Tag 23.26.0 and commit 8faef2a3: `public var apiClient: STPAPIClient = STPAPIClient.shared`
    /// (with a `didSet` that configures Stripe's API version on the new client). Stripe's own
    /// PaymentSheet sets it the same way before presenting (`financialConnectionsSheet.apiClient =
    /// apiClient` in
    /// `StripeFinancialConnections/StripeFinancialConnections/Source/FinancialConnectionsSDK/FinancialConnectionsSDKImplementation.swift`,
    /// stripe-ios commit 753879ad818fcff18d902becaaad23dd577f1ef4).
    public var apiClient: STPAPIClient {
        get { apiClients[ObjectIdentifier(self)] ?? STPAPIClient.shared }
        set { apiClients[ObjectIdentifier(self)] = newValue }
    }

    /// Presents the sheet; `completion` gets Stripe's result once it is dismissed.
    ///
    /// Tag 23.26.0 and commit 8faef2a3: `public func present(from presentingViewController:
    /// UIViewController, completion: @escaping (Result) -> Void)`.
    public func present(
        from presentingViewController: UIViewController,
        completion: @escaping (Result) -> Void
    ) {
        guard let play = Self.linuxCheckSheet else {
            completion(.failed(error: LinuxCheckNoSheet()))
            return
        }
        play(self, presentingViewController, completion)
    }

    /// NOT Stripe's API: what the Linux tests' "user" does with a presented sheet (emit events,
    /// leave for the bank, finish, then call the completion). Behind an SPI the adapter does not
    /// import (scripts/stripe-adapters-check.sh rejects `@_spi` in it).
    @_spi(LinuxCheckTesting)
    public static var linuxCheckSheet: ((FinancialConnectionsSheet, UIViewController, @escaping (Result) -> Void) -> Void)?
}

/// The failure of a presentation no Linux test set up.
private struct LinuxCheckNoSheet: Error {}
