// swift-tools-version:5.9
//
// FinConn: Swift package around the Rust core (finconn-ffi), built with UniFFI.
//
// Language mode: Swift 5 (tools version 5.9; the generated FinConn.swift needs a Swift 5.10
// compiler or newer for `nonisolated(unsafe)`; built here with 6.3). Swift 6 mode is
// not possible yet: the Swift that UniFFI 0.32 generates for async foreign traits (our
// `HttpTransport.send`) does not compile in Swift 6 mode (mozilla/uniffi-rs#2929, fixed on its
// main branch, in no release). The hand-written sources are written to compile without warnings
// in Swift 5 mode with strict concurrency checks (scripts/swift-tests.sh fails on any warning in
// them).
//
// Apple platforms: before `swift build` / opening in Xcode, on macOS run
//
//     bindings/swift/build-xcframework.sh
//
// which builds FinConnFFI.xcframework next to this file and generates
// Sources/FinConn/FinConn.swift. Both are build outputs (gitignored), never edited by hand.
// `swift test` needs the test-only exports instead: `bindings/swift/build-xcframework.sh --testing`
// (macOS-only XCFramework with the cargo feature `testing`; never shipped).
//
// Linux (CI, and Swift on Linux servers): `scripts/swift-tests.sh` builds the Rust library for
// the host, generates FinConn.swift and the C header, and runs `swift build` / `swift test` here
// with the library on the linker search path. The FinConnFFI module is then a system-library
// target (Linux/FinConnFFI/module.modulemap) instead of the XCFramework.
import PackageDescription

#if os(Linux)
// The generated header + `link "finconn_ffi"`; the library directory comes from the build
// command (-Xlinker -L<dir>), see scripts/swift-tests.sh.
let ffiTarget: Target = .systemLibrary(name: "FinConnFFI", path: "Linux/FinConnFFI")
#else
// The Rust static library as one static FinConnFFI.framework per platform (iOS device,
// iOS simulator, macOS): Headers/FinConnFFI.h and Modules/module.modulemap, the clang
// module FinConnFFI that the generated FinConn.swift imports.
let ffiTarget: Target = .binaryTarget(name: "FinConnFFI", path: "FinConnFFI.xcframework")
// Release form, used by the published copy of this package: build-xcframework.sh prints
// the checksum of dist/FinConnFFI.xcframework.zip (`swift package compute-checksum`).
// let ffiTarget: Target = .binaryTarget(
//     name: "FinConnFFI",
//     url: "https://example.invalid/finconn/releases/download/0.1.0/FinConnFFI.xcframework.zip",
//     checksum: "<output of swift package compute-checksum>"
// )
#endif

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
        ffiTarget,
        .target(
            name: "FinConn",
            dependencies: ["FinConnFFI"],
            path: "Sources/FinConn"
        ),
        // Swift -> Rust call cost of Flow.handleUrl (scripts/ffi-bench.sh); also the release-link
        // smoke test of scripts/swift-tests.sh. Not a product: apps never see it.
        .executableTarget(
            name: "FinConnBench",
            dependencies: ["FinConn"],
            path: "Sources/FinConnBench"
        ),
        .testTarget(
            name: "FinConnTests",
            dependencies: ["FinConn"],
            path: "Tests/FinConnTests"
        ),
    ]
)
