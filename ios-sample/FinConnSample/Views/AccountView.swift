import FinConn
import SwiftUI

/// One account: balance, owners, the 5 latest transactions, a Refresh button with each feature's
/// outcome, and the relink prompt when the core says the account needs one.
struct AccountView: View {
    @EnvironmentObject private var model: AppModel
    let accountId: String

    private var account: Account? { model.state.accounts.first { $0.id == accountId } }
    private var details: AccountDetails { model.state.details[accountId] ?? AccountDetails() }

    var body: some View {
        List {
            if let action = details.action {
                Section {
                    Text(UserMessages.text(for: action))
                    if case .relinkRequired(let authorization, let reason) = action, let authorization {
                        Button("Relink this account") {
                            Task {
                                await model.controller.relink(
                                    accountId: accountId, authorization: authorization, missing: Self.missing(reason)
                                )
                            }
                        }
                        .disabled(model.state.isBusy)
                    }
                }
            }

            Section(header: Text("Balance")) {
                if let balance = account?.balance {
                    LabeledLine(title: "Current", value: UserMessages.text(for: balance.current))
                    LabeledLine(title: "Available", value: balance.available.map { UserMessages.text(for: $0) } ?? "–")
                    Text("As of \(UserMessages.dateTimeText(unixSeconds: balance.asOfUnixSeconds))")
                        .font(.caption)
                        .foregroundColor(.secondary)
                } else {
                    Text("No balance yet: tap Refresh.")
                        .foregroundColor(.secondary)
                }
            }

            Section(header: Text("Refresh")) {
                Button {
                    Task { await model.controller.refreshAccountData(accountId) }
                } label: {
                    HStack(spacing: 8) {
                        Text("Refresh balance, owners and transactions")
                        if details.isLoading {
                            ProgressView()
                        }
                    }
                }
                .disabled(details.isLoading)
                ForEach(details.refreshLines, id: \.self) { line in
                    Text(line).font(.callout)
                }
            }

            Section(header: Text("Owners")) {
                if details.owners.isEmpty {
                    Text("No owner read yet.").foregroundColor(.secondary)
                }
                ForEach(details.owners, id: \.id) { owner in
                    VStack(alignment: .leading, spacing: 2) {
                        Text(owner.name)
                        let contact = [owner.email, owner.phone].compactMap { $0 }.joined(separator: " · ")
                        if !contact.isEmpty {
                            Text(contact).font(.caption).foregroundColor(.secondary)
                        }
                    }
                }
            }

            Section(header: Text("Latest transactions")) {
                if details.latestTransactions.isEmpty {
                    Text("No transaction read yet.").foregroundColor(.secondary)
                }
                ForEach(details.latestTransactions, id: \.id) { transaction in
                    TransactionRow(transaction: transaction)
                }
            }
        }
        .navigationTitle(account?.displayLine ?? "Account")
        .navigationBarTitleDisplayMode(.inline)
        .task {
            await model.controller.loadAccountData(accountId)
        }
    }

    private static func missing(_ reason: RelinkReason) -> [Permission] {
        if case .missingPermissions(let permissions) = reason {
            return permissions
        }
        return []
    }
}

private struct LabeledLine: View {
    let title: String
    let value: String

    var body: some View {
        HStack {
            Text(title)
            Spacer()
            Text(value).monospacedDigit()
        }
    }
}

private struct TransactionRow: View {
    let transaction: FinConn.Transaction

    var body: some View {
        HStack(alignment: .firstTextBaseline) {
            VStack(alignment: .leading, spacing: 2) {
                Text(transaction.description)
                Text("\(UserMessages.dateText(unixSeconds: transaction.transactedAtUnixSeconds)) · \(UserMessages.text(for: transaction.status))")
                    .font(.caption)
                    .foregroundColor(.secondary)
            }
            Spacer()
            Text(UserMessages.text(for: transaction.amount)).monospacedDigit()
        }
    }
}
