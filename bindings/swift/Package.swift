// swift-tools-version:5.9
//
// FinConn: Swift package around the Rust core (finconn-ffi), built with UniFFI.
//
// Before `swift build` / opening in Xcode, on macOS run
//
//     bindings/swift/build-xcframework.sh
//
// which builds FinConnFFI.xcframework next to this file and generates
// Sources/FinConn/FinConn.swift. Both are build outputs (gitignored), never edited by hand.
// `swift test` needs the test-only exports instead: `bindings/swift/build-xcframework.sh --testing`
// (macOS-only XCFramework with the cargo feature `testing`; never shipped).
import PackageDescription

let package = Package(
    name: "FinConn",
    platforms: [
        .iOS(.v15),
        .macOS(.v12),
    ],
    products: [
        .library(name: "FinConn", targets: ["FinConn"]),
    ],
    targets: [
        // The Rust static library as one static FinConnFFI.framework per platform (iOS device,
        // iOS simulator, macOS): Headers/FinConnFFI.h and Modules/module.modulemap, the clang
        // module FinConnFFI that the generated FinConn.swift imports.
        .binaryTarget(
            name: "FinConnFFI",
            path: "FinConnFFI.xcframework"
        ),
        // Release form, used by the published copy of this package: build-xcframework.sh prints
        // the checksum of dist/FinConnFFI.xcframework.zip (`swift package compute-checksum`).
        // .binaryTarget(
        //     name: "FinConnFFI",
        //     url: "https://example.invalid/finconn/releases/download/0.1.0/FinConnFFI.xcframework.zip",
        //     checksum: "<output of swift package compute-checksum>"
        // ),
        .target(
            name: "FinConn",
            dependencies: ["FinConnFFI"],
            path: "Sources/FinConn"
        ),
        .testTarget(
            name: "FinConnTests",
            dependencies: ["FinConn"],
            path: "Tests/FinConnTests"
        ),
    ]
)
