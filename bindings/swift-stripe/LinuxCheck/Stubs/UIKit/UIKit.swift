// Linux-only stand-in for Apple's UIKit, for scripts/stripe-adapters-check.sh. NOT UIKit: it
// declares only the UIKit names Sources/FinConnStripe uses, with Apple's public signatures, so
// that the adapter's UIKit path (`#if canImport(UIKit)`) is compiled on Linux instead of skipped.
// Never part of an app (bindings/swift-stripe/Package.swift does not include LinuxCheck).
//
// Traced to Apple's UIKit documentation (https://developer.apple.com/documentation/uikit); UIKit
// has no public source.

import Foundation

/// The view controller Stripe's sheet is presented from.
///
/// `UIViewController` (iOS 2.0+): `@MainActor class UIViewController` (a `UIResponder` subclass);
/// https://developer.apple.com/documentation/uikit/uiviewcontroller. `init()` is the one it
/// inherits from `NSObject`. The superclass and every other member are left out: the adapter reads
/// `presentedViewController` and passes the instance to
/// `FinancialConnectionsSheet.present(from:completion:)`.
@MainActor
open class UIViewController {
    public init() {}

    /// `var presentedViewController: UIViewController? { get }` (iOS 5.0+), "The view controller
    /// that is presented by this view controller, or one of its ancestors in the view controller
    /// hierarchy";
    /// https://developer.apple.com/documentation/uikit/uiviewcontroller/presentedviewcontroller.
    /// Nothing is presented here (the tests override it).
    open var presentedViewController: UIViewController? { nil }
}

/// Only the notification the adapter observes while the sheet is up.
///
/// `UIApplication` (iOS 2.0+): `@MainActor class UIApplication`;
/// `UIApplication.didEnterBackgroundNotification` (iOS 4.0+): `nonisolated class let
/// didEnterBackgroundNotification: NSNotification.Name`, "A notification that posts when the app
/// enters the background", object the `UIApplication`, no `userInfo`;
/// https://developer.apple.com/documentation/uikit/uiapplication/didenterbackgroundnotification.
/// Declared `static let` here (a Swift class cannot declare a stored `class let`; the use,
/// `UIApplication.didEnterBackgroundNotification`, is the same), with the raw value of its
/// Objective-C name `UIApplicationDidEnterBackgroundNotification`.
@MainActor
open class UIApplication {
    nonisolated public static let didEnterBackgroundNotification =
        NSNotification.Name("UIApplicationDidEnterBackgroundNotification")
}
