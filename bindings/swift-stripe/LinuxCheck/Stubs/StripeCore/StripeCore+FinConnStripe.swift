// Linux-only, for scripts/stripe-adapters-check.sh: the StripeCore API that
// Sources/FinConnStripe uses beyond what ios-sample/LinuxCheck/Stubs/StripeCore/StripeCore.swift
// already declares for the sample. The check compiles both files into one stand-in module
// `StripeCore` (that file's `STPAPIClient`, `StripeAPI` and `FinancialConnectionsEvent` are
// reused, not copied). NOT Stripe's SDK; never part of an app.
//
// Traced to stripe-ios public source (https://github.com/stripe/stripe-ios), read in:
//   * tag 23.26.0 of stripe-ios-spm (Stripe's SwiftPM repository of tagged stripe-ios sources),
//     commit 3631ddcfa4c5dcccc4609b1682bbdec3d586bba8;
//   * stripe-ios commit c57767ad4f123ff9f98a76fedbd96435fb3e20d0, a later copy of the file.
// The adapter pins stripe-ios-spm 26.7.0 or newer (as ios-sample does); no 26.x copy of this file
// could be read here. The declaration below is the same in both copies read.

/// `STPAPIClient(publishableKey:)`, with which the adapter gives each sheet its own API client.
///
/// `StripeCore/StripeCore/Source/API Bindings/STPAPIClient.swift`, tag 23.26.0 and commit
/// c57767ad: `@objc(initWithPublishableKey:) public convenience init(publishableKey: String)`,
/// whose body is `self.init()` then `self.publishableKey = publishableKey`, as here.
extension STPAPIClient {
    public convenience init(publishableKey: String) {
        self.init()
        self.publishableKey = publishableKey
    }
}

/// NOT Stripe's API: lets the Linux tests play Stripe's sheet emitting an event. Stripe's
/// initialisers of `FinancialConnectionsEvent` are `@_spi(STP)`; this one is behind an SPI the
/// adapter does not import (scripts/stripe-adapters-check.sh rejects `@_spi` in it).
extension FinancialConnectionsEvent {
    @_spi(LinuxCheckTesting) public init(name: Name, metadata: [String: Any]) {
        self.init(name: name, metadata: Metadata(dictionary: metadata))
    }
}
