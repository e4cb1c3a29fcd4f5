// Helpers shared by the XCTest files (the Kotlin tests have theirs in each class).
import FinConn

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
