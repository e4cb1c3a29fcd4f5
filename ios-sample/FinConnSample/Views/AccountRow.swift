import FinConn
import SwiftUI

/// One linked account: the core's display line, its relink badges and a Relink button. The row
/// opens the account screen (`AccountView`).
struct AccountRow: View {
    let account: Account
    let relinkDisabled: Bool
    let onRelink: () -> Void

    var body: some View {
        HStack(alignment: .center, spacing: 12) {
            VStack(alignment: .leading, spacing: 4) {
                Text(account.displayLine)
                if account.needsRelinkNow {
                    Badge(text: "Needs relink", color: .red)
                } else if let deadline = account.relinkRequiredByUnixSeconds {
                    Badge(text: "Relink by \(UserMessages.dateText(unixSeconds: deadline))", color: .orange)
                }
            }
            Spacer()
            if canRelink {
                Button("Relink", action: onRelink)
                    .buttonStyle(.bordered)
                    .disabled(relinkDisabled)
            }
        }
        .padding(.vertical, 2)
    }

    /// The core flags the accounts a relink repairs; a relink needs the account's authorization.
    private var canRelink: Bool {
        (account.needsRelinkNow || account.relinkRequiredByUnixSeconds != nil) && account.authorization != nil
    }
}

private struct Badge: View {
    let text: String
    let color: Color

    var body: some View {
        Text(text)
            .font(.caption.weight(.semibold))
            .foregroundColor(color)
            .padding(.horizontal, 6)
            .padding(.vertical, 2)
            .background(color.opacity(0.15))
            .clipShape(Capsule())
    }
}
