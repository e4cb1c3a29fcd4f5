// Linux-only stand-in for Stripe's StripeCore module, for scripts/ios-sample-check.sh. NOT Stripe's
// SDK: it declares Stripe's public signatures that Linux code compiles against. The sample's non-UI
// files use only `StripeAPI.handleURLCallback(with:)`; `STPAPIClient` and
// `FinancialConnectionsEvent` are what FinConnStripe's `StripeSheetPresenter`
// (bindings/swift-stripe), the presenter the app uses, calls: kept so that the adapter compiles
// against the same stand-ins. Never part of the app (project.yml does not include
// ios-sample/LinuxCheck).
//
// Traced to stripe-ios public source (https://github.com/stripe/stripe-ios). The sample pins
// 26.7.0 (project.yml); no 26.x copy of these files could be read here, so each declaration names
// the versions it was read in:
//   * tag 23.26.0: the tagged source release in Stripe's stripe-ios-spm repository;
//   * a stripe-ios commit (hash given): the copy of that file available to read, each later than
//     23.26.0 (they hold later code: visionOS cases, App Attest, a file created in April 2024).
// Every declaration below has the same signature in both.
//
// Bodies are minimal (stored values, `false`). Apple-only attributes of the real declarations
// (`@objc`, the NSObject superclass) are left out: nothing compiled here depends on them.

import Foundation

/// `STPAPIClient.shared` with its `publishableKey` and `stripeAccount`: the API client of
/// Stripe's sheet.
///
/// `StripeCore/StripeCore/Source/API Bindings/STPAPIClient.swift`, tag 23.26.0 and commit
/// c57767ad4f123ff9f98a76fedbd96435fb3e20d0:
/// `@objc public class STPAPIClient: NSObject`,
/// `@objc(sharedClient) public static let shared: STPAPIClient`,
/// `@objc public var publishableKey: String?` (a computed property over a stored key there),
/// `@objc public var stripeAccount: String?`.
public class STPAPIClient {
    public static let shared = STPAPIClient()

    public var publishableKey: String?

    public var stripeAccount: String?
}

/// `StripeAPI.handleURLCallback(with:)`, which the sample calls with every URL the app is opened
/// with.
///
/// `StripeCore/StripeCore/Source/API Bindings/StripeAPI.swift`, tag 23.26.0 and commit
/// 07ad678b5dc75f7338872148e2226c6615a77836:
/// `@objc public class StripeAPI: NSObject`,
/// `@objc(handleStripeURLCallbackWithURL:) @discardableResult public static func
/// handleURLCallback(with url: URL) -> Bool`.
public class StripeAPI {
    /// Here: no URL is Stripe's (there is no Stripe SDK to hand it to).
    @discardableResult
    public static func handleURLCallback(with url: URL) -> Bool {
        false
    }
}

/// What Stripe's sheet reports while it is up (`FinancialConnectionsSheet.onEvent`), forwarded to
/// the flow as `name.rawValue` and `metadata.dictionary`.
///
/// Tag 23.26.0: `StripeCore/StripeCore/Source/Connections Bindings/ConnectionsSDKInterface.swift`;
/// commit c0397d638c84c93449e5799589c692db2ba8717c: moved, unchanged, to
/// `StripeCore/StripeCore/Source/Connections Bindings/FinancialConnectionsEvent.swift`:
/// `public struct FinancialConnectionsEvent`, `public enum Name: String` (cases below),
/// `public struct Metadata` with `public let dictionary: [String: Any]`, `public let name: Name`,
/// `public let metadata: Metadata`. Its initialisers are `@_spi(STP)` there: not declared here.
public struct FinancialConnectionsEvent {
    // All of Stripe's cases: a `String` enum needs at least one, and these are the names the sheet
    // may report.
    public enum Name: String {
        case open = "open"
        case manualEntryInitiated = "manual_entry_initiated"
        case consentAcquired = "consent_acquired"
        case searchInitiated = "search_initiated"
        case institutionSelected = "institution_selected"
        case institutionAuthorized = "institution_authorized"
        case accountsSelected = "accounts_selected"
        case success = "success"
        case error = "error"
        case cancel = "cancel"
        case flowLaunchedInBrowser = "flow_launched_in_browser"
    }

    public struct Metadata {
        public let dictionary: [String: Any]
    }

    public let name: Name

    public let metadata: Metadata
}
