import FinConn

func printBalance(_ client: FlowClient, accountId: String) async throws {
    // Asks Stripe to refresh, then waits for it (bounded by FlowClientConfig.refreshDeadlineMs).
    let report = try await client.refresh(accountId: accountId, features: [.balances])
    if let action = report.action { print("the account needs attention first: \(action)") }
    for feature in report.features { print("\(feature.feature): \(feature.outcome)") }
    guard let balance = report.account.balance else { return }
    // Integer minor units per lowercase ISO currency; positive: owed to the holder.
    for money in balance.current { print("\(money.amountMinor) \(money.currency)") }
}
