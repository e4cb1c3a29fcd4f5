// swift-tools-version:5.9
//
// FinConnStripe: the optional Stripe adapter of the FinConn package. One type,
// `StripeSheetPresenter`, the `SheetPresenter` that `FlowClient.link` drives, around Stripe's
// `FinancialConnectionsSheet`. An app that presents Stripe's sheet itself (or uses no Stripe SDK)
// depends on FinConn alone and never resolves Stripe's package. See README.md.
//
// Stripe's SDK comes from `stripe-ios-spm`, Stripe's Swift Package Manager repository (tagged
// source releases of stripe-ios), the URL Stripe's iOS guide gives and the one ios-sample/project.yml
// uses, at the same minimum version. Not `https://github.com/stripe/stripe-ios`: SwiftPM refuses two
// packages declaring targets of the same name (StripeCore, StripeFinancialConnections, ...) in one
// graph, so an app that added stripe-ios-spm, as Stripe's guide says, could not add this package.
//
// On Linux this manifest is not built (Stripe's SDK is UIKit-only):
// scripts/stripe-adapters-check.sh compiles Sources/FinConnStripe against the real FinConn package
// and the Linux stand-ins of LinuxCheck/Stubs instead, and evaluates this manifest with
// `swift package dump-package`.
import PackageDescription

let package = Package(
    name: "FinConnStripe",
    platforms: [
        // FinConn's and stripe-ios 26.x's minimum.
        .iOS(.v15),
    ],
    products: [
        .library(name: "FinConnStripe", targets: ["FinConnStripe"]),
    ],
    dependencies: [
        // The FinConn package of this repository (build it first: bindings/swift/build-xcframework.sh).
        .package(path: "../swift"),
        .package(url: "https://github.com/stripe/stripe-ios-spm", from: "26.7.0"),
    ],
    targets: [
        .target(
            name: "FinConnStripe",
            dependencies: [
                .product(name: "FinConn", package: "swift"),
                .product(name: "StripeFinancialConnections", package: "stripe-ios-spm"),
            ],
            path: "Sources/FinConnStripe",
            // Swift 5 mode (as FinConn) with complete concurrency checking.
            swiftSettings: [.enableExperimentalFeature("StrictConcurrency")]
        ),
    ]
)
