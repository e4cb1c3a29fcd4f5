import FinConn
import Foundation

/// What the user reads: one sentence per kind of error and per outcome. The core decides what
/// happened (the error case, the result's status, the relink outcome, each refresh's outcome);
/// this only words it.
enum UserMessages {
    // MARK: - Errors

    static func text(for error: Error) -> String {
        guard let error = error as? FinConnError else {
            // Not one of the core's errors: a panic inside the Rust library, reported by UniFFI.
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
        case .Tls:
            return "The connection to the server is not secure. Try another network."
        case .Unauthorized(let status, _, _):
            return "Your session has expired (HTTP \(status)). Sign in again."
        case .Rejected(let status, let reason, _):
            return "The server refused the request (HTTP \(status)): \(reason)"
        case .ServiceUnavailable(_, let retryAfterMs, _, _):
            if let retryAfterMs {
                return "The service is unavailable. Try again in \(retryAfterMs / 1000 + 1) s."
            }
            return "The service is unavailable. Try again later."
        case .SnapshotUnusable:
            return "The interrupted linking could not be restored. Start again."
        case .Storage:
            return "The device's storage is full or unavailable. Free some space and try again."
        case .Other(let reason, _):
            return "Unexpected error: \(reason)"
        }
    }

    /// The developer's log line: the user's sentence plus the server's request id, for support.
    /// The core's errors carry no secret.
    static func logText(for error: Error) -> String {
        let requestId: String?
        switch error as? FinConnError {
        case .Unauthorized(_, _, let id)?, .Rejected(_, _, let id)?, .ServiceUnavailable(_, _, _, let id)?, .Other(_, let id)?:
            requestId = id
        default:
            requestId = nil
        }
        let message = text(for: error)
        return requestId.map { "\(message) [request \($0)]" } ?? message
    }

    // MARK: - Flow results

    /// `known` are the accounts the app listed before the flow: they name the existing account a
    /// new one duplicates.
    static func text(for result: FlowResult, known: [Account]) -> String {
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
        for duplicate in result.duplicates {
            let new = result.accounts.first { $0.id == duplicate.accountId }?.displayLine ?? duplicate.accountId
            let existing = known.first { $0.id == duplicate.duplicateOf }?.displayLine ?? duplicate.duplicateOf
            lines.append("\(new): this account is already linked as \(existing).")
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

    // MARK: - Account data

    static func text(for refresh: FeatureRefresh) -> String {
        let outcome: String
        switch refresh.outcome {
        case .succeeded:
            outcome = "updated"
        case .failed:
            outcome = "Stripe could not refresh it"
        case .stillPending:
            outcome = "still pending, check again later"
        case .tooSoon(let retryAtUnixSeconds):
            outcome = "refreshed recently, next refresh after \(dateTimeText(unixSeconds: retryAtUnixSeconds))"
        case .notPermitted:
            outcome = "not permitted by the user"
        case .gone:
            outcome = "the account is disconnected"
        }
        return "\(text(for: refresh.feature)): \(outcome)"
    }

    static func text(for feature: DataFeature) -> String {
        switch feature {
        case .balances: return "Balance"
        case .ownership: return "Owners"
        case .transactions: return "Transactions"
        case .inferredBalances: return "Inferred balance"
        }
    }

    static func text(for action: AccountAction) -> String {
        switch action {
        case .relinkRequired(_, .inactive):
            return "The connection to this account stopped working: relink it."
        case .relinkRequired(_, .missingPermissions(let permissions)):
            return "Relink to share: \(permissions.map { text(for: $0) }.joined(separator: ", "))."
        case .disconnected:
            return "This account was disconnected."
        }
    }

    static func text(for permission: Permission) -> String {
        switch permission {
        case .balances: return "balances"
        case .ownership: return "owners"
        case .paymentMethod: return "payment details"
        case .transactions: return "transactions"
        }
    }

    static func text(for status: TransactionStatus) -> String {
        switch status {
        case .pending: return "pending"
        case .posted: return "posted"
        case .void: return "void"
        case .unknown(let value): return value
        }
    }

    /// Minor units as `-12.34 USD`, with integer arithmetic only (the sign is kept: a credit
    /// card's debt is negative). Every currency is shown with two decimals here; a zero-decimal
    /// currency such as JPY would need Stripe's currency table.
    static func text(for money: Money) -> String {
        let sign = money.amountMinor < 0 ? "-" : ""
        let units = abs(money.amountMinor / 100)
        let cents = abs(money.amountMinor % 100)
        return "\(sign)\(units).\(cents < 10 ? "0" : "")\(cents) \(money.currency.uppercased())"
    }

    static func text(for amounts: [Money]) -> String {
        amounts.isEmpty ? "–" : amounts.map { text(for: $0) }.joined(separator: ", ")
    }

    static func dateText(unixSeconds: Int64) -> String {
        Date(timeIntervalSince1970: TimeInterval(unixSeconds)).formatted(date: .abbreviated, time: .omitted)
    }

    static func dateTimeText(unixSeconds: Int64) -> String {
        Date(timeIntervalSince1970: TimeInterval(unixSeconds)).formatted(date: .abbreviated, time: .shortened)
    }
}
