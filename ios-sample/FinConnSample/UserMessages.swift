import FinConn
import Foundation

/// What the user reads: one sentence per kind of error and per outcome. The core decides what
/// happened (the error case, the result's status, the relink outcome); this only words it.
enum UserMessages {
    static func text(for error: Error) -> String {
        guard let error = error as? FinConnError else {
            return "Unexpected error: \(error.localizedDescription)"
        }
        switch error {
        case .InvalidConfiguration(let reason):
            return "The app is misconfigured: \(reason)"
        case .InvalidState(let reason):
            return "Something went wrong in the app (\(reason))."
        case .Offline:
            return "You are offline or the server cannot be reached. Try again later."
        case .Timeout:
            return "The server took too long to answer. Try again."
        case .Unauthorized(let status, _):
            return "Your session has expired (HTTP \(status)). Sign in again."
        case .Rejected(let status, let reason):
            return "The server refused the request (HTTP \(status)): \(reason)"
        case .ServiceUnavailable(_, let retryAfterMs, _):
            if let retryAfterMs {
                return "The service is unavailable. Try again in \(retryAfterMs / 1000 + 1) s."
            }
            return "The service is unavailable. Try again later."
        case .SnapshotUnusable:
            return "The interrupted linking could not be restored. Start again."
        case .Other(let reason):
            return "Unexpected error: \(reason)"
        }
    }

    static func text(for result: FlowResult) -> String {
        var lines: [String] = []
        switch result.status {
        case .completed:
            lines.append("Linked \(result.accounts.count) account(s).")
        case .canceled:
            lines.append("Canceled: no account was linked.")
        case .failed:
            lines.append(result.error.map { "Linking failed: \($0)" } ?? "Linking failed.")
        }
        if let relink = result.relink {
            lines.append(text(for: relink))
        }
        return lines.joined(separator: "\n")
    }

    static func text(for relink: RelinkOutcome) -> String {
        switch relink {
        case .relinked:
            return "The connection was repaired."
        case .newAuthorization:
            return "You linked the accounts again under a new connection."
        case .failed(let reason):
            return "The relink did not go through (\(reason))."
        case .unfinished:
            return "The relink was not finished."
        }
    }
}
