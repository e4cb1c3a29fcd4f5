// Hand-written part of the FinConn module.
//
// The API itself is generated into FinConn.swift (same directory) by scripts/gen-swift.sh
// --package, called from bindings/swift/build-xcframework.sh. That file is a build output: it is
// gitignored and must never be edited by hand. Swift-only conveniences over the generated API
// belong in files like this one.
