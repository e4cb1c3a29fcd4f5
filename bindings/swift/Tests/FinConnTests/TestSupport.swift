// Helpers shared by the XCTest files.
import FinConn
import Foundation
import XCTest

/// The public error code (`Error::code()` in Rust) of a thrown `FinConnError`. Exhaustive on
/// purpose: a new error case must be given its code here.
func errorCode(_ error: FinConnError) -> String {
    switch error {
    case .Other: return "other"
    case .Timeout: return "timeout"
    case .Offline: return "offline"
    case .Tls: return "tls"
    case .ServiceUnavailable: return "service_unavailable"
    case .Rejected: return "rejected"
    case .InvalidConfiguration: return "invalid_configuration"
    case .Unauthorized: return "unauthorized"
    case .InvalidState: return "invalid_state"
    case .SnapshotUnusable: return "snapshot_unusable"
    case .Storage: return "storage"
    }
}

/// An XCTest case with the loopback simulator (Stripe and the backend) started before each test
/// and a fresh data directory, both gone after it (the Kotlin suites share `SimulatorFixture`).
class SimulatorTestCase: XCTestCase {
    var sim: TestSimulator!
    var dataDir: URL!

    override func setUpWithError() throws {
        sim = try TestSimulator.start()
        dataDir = FileManager.default.temporaryDirectory
            .appendingPathComponent("finconn-swift-\(type(of: self))-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        sim?.shutdown()
        sim = nil
        if let dataDir {
            try? FileManager.default.removeItem(at: dataDir)
        }
    }
}
