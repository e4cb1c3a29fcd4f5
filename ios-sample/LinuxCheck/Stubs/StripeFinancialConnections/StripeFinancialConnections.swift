// Linux-only stand-in for Stripe's StripeFinancialConnections module, for
// scripts/ios-sample-check.sh. NOT Stripe's SDK: it declares only the API the sample's non-UI files
// use, with Stripe's public signatures, so that the Swift compiler checks the sample's calls on
// Linux. Never part of the app (project.yml does not include ios-sample/LinuxCheck).
//
// Traced to stripe-ios public source (https://github.com/stripe/stripe-ios). The sample pins
// 26.7.0 (project.yml); no 26.x copy of these files could be read here, so each declaration names
// the versions it was read in:
//   * tag 23.26.0: the tagged source release in Stripe's stripe-ios-spm repository;
//   * stripe-ios commit 8faef2a3a66a6e213751db2605c0757852703e2e for FinancialConnectionsSheet.swift,
//     the newest copy of that file available to read: a 24.x development commit (its async
//     `present(from:)` is still `@_spi(v25)`, which 25.0.0 made public). `Configuration` is there and
//     not in 23.26.0.
//
// Not declared, because they need UIKit: `present(from: UIViewController, completion:)`, called by
// the UIKit presenter in FinConnSample/TopViewController.swift, which is not compiled on Linux.
//
// Bodies are minimal (stored values): the Linux tests run the sample's logic through them.

// The sample imports only StripeFinancialConnections and uses StripeCore's `STPAPIClient`,
// `StripeAPI` and `FinancialConnectionsEvent` through it, as Stripe's module re-exports StripeCore:
// `StripeFinancialConnections/StripeFinancialConnections/Source/StripeCore+Import.swift`, tag 23.26.0
// (and commit 0032a69d630f1b85247ae5a54dfc756f0f1d2e2c, an older 22.x copy, the same):
// `@_exported import StripeCore`.
@_exported import StripeCore

/// The sheet the sample creates with the session's client secret, its return URL and a style, whose
/// `onEvent` it sets, and whose `Result` it maps to the core's `SheetResult`.
///
/// `StripeFinancialConnections/StripeFinancialConnections/Source/FinancialConnectionsSheet.swift`:
/// `final public class FinancialConnectionsSheet` (tag 23.26.0 and commit 8faef2a3).
final public class FinancialConnectionsSheet {
    /// Tag 23.26.0 and commit 8faef2a3: `@frozen public enum Result` with
    /// `case completed(session: StripeAPI.FinancialConnectionsSession)`, `case failed(error: Error)`,
    /// `case canceled`.
    @frozen public enum Result {
        case completed(session: StripeAPI.FinancialConnectionsSession)
        case failed(error: Error)
        case canceled
    }

    /// Commit 8faef2a3 (not in 23.26.0): `public struct Configuration` with
    /// `@frozen public enum UserInterfaceStyle { case automatic; case alwaysLight; case alwaysDark }`,
    /// `public var style: UserInterfaceStyle`, `public init(style: UserInterfaceStyle = .automatic)`.
    public struct Configuration {
        @frozen public enum UserInterfaceStyle {
            case automatic
            case alwaysLight
            case alwaysDark
        }

        public var style: UserInterfaceStyle

        public init(style: UserInterfaceStyle = .automatic) {
            self.style = style
        }
    }

    /// Tag 23.26.0 and commit 8faef2a3:
    /// `public let financialConnectionsSessionClientSecret: String`. The sample does not read it; the
    /// Linux tests' fake presenter does, to finish the session in the simulator as the user would.
    public let financialConnectionsSessionClientSecret: String

    /// Tag 23.26.0 and commit 8faef2a3: `public var onEvent: ((FinancialConnectionsEvent) -> Void)?`.
    public var onEvent: ((FinancialConnectionsEvent) -> Void)?

    /// Commit 8faef2a3 (23.26.0 has it without `configuration:`):
    /// `public convenience init(financialConnectionsSessionClientSecret: String,
    /// returnURL: String? = nil, configuration: FinancialConnectionsSheet.Configuration = .init())`.
    /// Declared here as a designated init (the real one delegates to an internal init).
    public init(
        financialConnectionsSessionClientSecret: String,
        returnURL: String? = nil,
        configuration: FinancialConnectionsSheet.Configuration = .init()
    ) {
        self.financialConnectionsSessionClientSecret = financialConnectionsSessionClientSecret
    }
}

/// The session a completed sheet returns (`Result.completed(session:)`); the sample does not read it.
///
/// `StripeFinancialConnections/StripeFinancialConnections/Source/API Bindings/Models/FinancialConnectionsSession.swift`,
/// tag 23.26.0: `public extension StripeAPI { struct FinancialConnectionsSession { … } }`, whose
/// initialisers are internal or decode Stripe's JSON. None is declared here but the test-only one.
public extension StripeAPI {
    struct FinancialConnectionsSession {
        /// NOT Stripe's API: lets the Linux tests build a `.completed` result. Behind an SPI that the
        /// sample's files do not import (scripts/ios-sample-check.sh rejects `@_spi` in them), so the
        /// sample cannot call it.
        @_spi(LinuxCheckTesting) public init() {}
    }
}
