// Linux-only stand-in for Stripe's StripeFinancialConnections module, for
// scripts/ios-sample-check.sh. NOT Stripe's SDK: it declares Stripe's public signatures that Linux
// code compiles against. The sample's non-UI files use only `StripeAPI.handleURLCallback(with:)`
// (StripeCore, re-exported below). The rest (the sheet, its `Result`, `onEvent`, the session) is
// what FinConnStripe's `StripeSheetPresenter` (bindings/swift-stripe), the presenter the app uses,
// calls: kept so that the adapter compiles against the same stand-ins. Never part of the app
// (project.yml does not include ios-sample/LinuxCheck).
//
// Traced to stripe-ios public source (https://github.com/stripe/stripe-ios). The sample pins
// 26.7.0 (project.yml); no 26.x copy of these files could be read here, so each declaration names
// the versions it was read in:
//   * tag 23.26.0: the tagged source release in Stripe's stripe-ios-spm repository;
//   * stripe-ios commit 8faef2a3a66a6e213751db2605c0757852703e2e for FinancialConnectionsSheet.swift,
//     the newest copy of that file available to read: a 24.x development commit (its async
//     `present(from:)` is still `@_spi(v25)`, which 25.0.0 made public).
//
// Not declared, because it needs UIKit: `present(from: UIViewController, completion:)`.
//
// Bodies are minimal (stored values).

// The sample imports only StripeFinancialConnections and uses StripeCore's `StripeAPI` through it,
// as Stripe's module re-exports StripeCore:
// `StripeFinancialConnections/StripeFinancialConnections/Source/StripeCore+Import.swift`, tag 23.26.0
// (and commit 0032a69d630f1b85247ae5a54dfc756f0f1d2e2c, an older 22.x copy, the same):
// `@_exported import StripeCore`.
@_exported import StripeCore

/// The sheet FinConnStripe's presenter creates with the session's client secret and the return URL,
/// whose `onEvent` it sets, and whose `Result` it maps to the core's `SheetResult`. The sample does
/// not use it directly.
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

    /// Tag 23.26.0 and commit 8faef2a3:
    /// `public let financialConnectionsSessionClientSecret: String`.
    public let financialConnectionsSessionClientSecret: String

    /// Tag 23.26.0 and commit 8faef2a3: `public var onEvent: ((FinancialConnectionsEvent) -> Void)?`.
    public var onEvent: ((FinancialConnectionsEvent) -> Void)?

    /// Tag 23.26.0: `public convenience init(financialConnectionsSessionClientSecret: String,
    /// returnURL: String? = nil)`; commit 8faef2a3 adds a third parameter with a default value,
    /// `configuration: FinancialConnectionsSheet.Configuration = .init()`, not declared here (nothing
    /// compiled here passes one). Declared here as a designated init (the real one delegates to an
    /// internal init).
    public init(
        financialConnectionsSessionClientSecret: String,
        returnURL: String? = nil
    ) {
        self.financialConnectionsSessionClientSecret = financialConnectionsSessionClientSecret
    }
}

/// The session a completed sheet returns (`Result.completed(session:)`); nothing here reads it.
///
/// `StripeFinancialConnections/StripeFinancialConnections/Source/API Bindings/Models/FinancialConnectionsSession.swift`,
/// tag 23.26.0: `public extension StripeAPI { struct FinancialConnectionsSession { … } }`, whose
/// initialisers are internal or decode Stripe's JSON. None is declared here but the test-only one.
public extension StripeAPI {
    struct FinancialConnectionsSession {
        /// NOT Stripe's API: lets Linux tests build a `.completed` result. Behind an SPI that the
        /// sample's files do not import (scripts/ios-sample-check.sh rejects `@_spi` in them), so the
        /// sample cannot call it.
        @_spi(LinuxCheckTesting) public init() {}
    }
}
