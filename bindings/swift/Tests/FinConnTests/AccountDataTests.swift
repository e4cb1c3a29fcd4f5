// XCTest twin of bindings/tests/kotlin/AccountDataTest.kt: the account-data API through the
// generated bindings and the Swift transport. macOS only (`build-xcframework.sh --testing`).
import Foundation
import XCTest

import FinConn

private let dataReturnURL = "finconn-test://stripe-redirect"
private let allFeatures: [DataFeature] = [.balances, .ownership, .transactions]

private final class DataUser: HeadersProvider {
    func headers() -> [String: String] {
        ["Authorization": "Bearer swift-data-user"]
    }
}

final class AccountDataTests: SimulatorTestCase {

    private func client() async throws -> FlowClient {
        try await FlowClient.open(
            config: FlowClientConfig(
                backendUrl: sim.backendUrl(),
                returnUrls: [dataReturnURL],
                dataDir: dataDir.path,
                stripeApiUrl: sim.backendUrl(),
                requestTimeoutMs: 5_000,
                refreshDeadlineMs: 5_000
            ),
            headers: DataUser()
        )
    }

    private func link(_ client: FlowClient, _ institution: String) async throws -> FlowResult {
        let flow = try client.newFlow(options: SessionOptions(
            permissions: [.balances, .ownership, .transactions],
            returnUrl: dataReturnURL
        ))
        let sheet = try await flow.start()
        try await flow.sheetPresented()
        _ = try sim.completeSheet(sessionId: sheet.sessionId(), institution: institution)
        let result = try await flow.sheetResult(result: .completed)
        XCTAssertEqual(result.status, .completed)
        return result
    }

    private func outcome(_ report: RefreshReport, _ feature: DataFeature) -> FeatureOutcome? {
        report.features.first { $0.feature == feature }?.outcome
    }

    func testARefreshWaitsForStripeAndTooSoonIsAnsweredWithoutACall() async throws {
        let client = try await client()
        let account = try await link(client, "data_bank").accounts[0]
        XCTAssertNil(account.balance, "no prefetch, no balance yet")
        let report = try await client.refresh(accountId: account.id, features: allFeatures)
        for feature in allFeatures {
            XCTAssertEqual(outcome(report, feature), .succeeded)
        }
        XCTAssertNil(report.action)
        let balance = try XCTUnwrap(report.account.balance)
        XCTAssertTrue(!balance.current.isEmpty && balance.current.allSatisfy { $0.amountMinor != 0 })
        XCTAssertTrue(try sim.requests(endpointName: "account") >= 2, "the account was polled")
        let first = try XCTUnwrap(report.features.first { $0.feature == .balances })
        let refreshes = try sim.requests(endpointName: "refresh")
        let again = try await client.refresh(accountId: account.id, features: [.balances])
        XCTAssertEqual(outcome(again, .balances), .tooSoon(retryAtUnixSeconds: try XCTUnwrap(first.nextRefreshAvailableAtUnixSeconds)))
        XCTAssertEqual(try sim.requests(endpointName: "refresh"), refreshes, "nothing sent")
    }

    func testFailedInactiveAndUnpermittedAccountsComeBackTyped() async throws {
        let client = try await client()
        let failing = try await link(client, "refresh_fails_bank").accounts[0]
        let failed = try await client.refresh(accountId: failing.id, features: allFeatures)
        XCTAssertTrue(failed.features.allSatisfy { $0.outcome == .failed })
        XCTAssertNil(failed.action)

        let inactive = try await link(client, "goes_inactive_bank").accounts[0]
        let report = try await client.refresh(accountId: inactive.id, features: allFeatures)
        XCTAssertTrue(report.features.allSatisfy { $0.outcome == .failed })
        XCTAssertEqual(report.action, .relinkRequired(authorization: inactive.authorization, reason: .inactive))
        XCTAssertNil(report.account.balance)

        let noTxn = try await link(client, "no_transactions_bank").accounts[0]
        let before = try sim.requests(endpointName: "transactions")
        let partial = try await client.refresh(accountId: noTxn.id, features: allFeatures)
        XCTAssertEqual(outcome(partial, .balances), .succeeded)
        XCTAssertEqual(outcome(partial, .transactions), .notPermitted)
        let missing = AccountAction.relinkRequired(
            authorization: noTxn.authorization,
            reason: .missingPermissions(permissions: [.transactions])
        )
        XCTAssertEqual(partial.action, missing)
        let sync = try await client.syncTransactions(accountId: noTxn.id, cursor: nil)
        XCTAssertTrue(sync.transactions.isEmpty)
        XCTAssertEqual(sync.action, missing)
        XCTAssertEqual(try sim.requests(endpointName: "transactions"), before, "nothing read without the permission")
    }

    func testOwnersAndTransactionsAreReadAcrossPages() async throws {
        let client = try await client()
        let accounts = try await link(client, "data_bank").accounts
        var paged = false
        var manyOwners = false
        for account in accounts {
            _ = try await client.refresh(accountId: account.id, features: allFeatures)
            let owners = try await client.owners(accountId: account.id).owners
            XCTAssertEqual(owners.count, Set(owners.map { $0.id }).count, "every owner once")
            manyOwners = manyOwners || owners.count > 10
            let sync = try await client.syncTransactions(accountId: account.id, cursor: nil)
            XCTAssertEqual(try sim.transactionsHeld(accountId: account.id), Int32(sync.transactions.count))
            paged = paged || sync.pages > 1
            XCTAssertTrue(try XCTUnwrap(sync.cursor).hasPrefix("fctxnref_"))
        }
        XCTAssertTrue(paged, "more than one page of transactions")
        XCTAssertTrue(manyOwners, "more than one page of owners")
    }

    func testAnIncrementalSyncSeesNewPostedAndVoidedTransactions() async throws {
        try sim.setRefreshCooldownMs(ms: 0)
        let client = try await client()
        let id = try await link(client, "data_bank").accounts[0].id
        _ = try await client.refresh(accountId: id, features: [.transactions])
        let first = try await client.syncTransactions(accountId: id, cursor: nil)
        let pending = Set(first.transactions.filter { $0.status == .pending }.map { $0.id })
        XCTAssertFalse(pending.isEmpty)
        let report = try await client.refresh(accountId: id, features: [.transactions])
        XCTAssertEqual(outcome(report, .transactions), .succeeded)
        let second = try await client.syncTransactions(accountId: id, cursor: first.cursor)
        XCTAssertNotEqual(first.cursor, second.cursor)
        let known = Set(first.transactions.map { $0.id })
        XCTAssertTrue(second.transactions.contains { !known.contains($0.id) }, "new")
        XCTAssertTrue(second.transactions.contains { pending.contains($0.id) && $0.status == .posted }, "pending -> posted")
        XCTAssertTrue(second.transactions.contains { pending.contains($0.id) && $0.status == .void }, "voided")
        var ledger: [String: Transaction] = [:]
        for t in first.transactions + second.transactions {
            ledger[t.id] = t
        }
        XCTAssertEqual(try sim.transactionsHeld(accountId: id), Int32(ledger.count))
        let third = try await client.syncTransactions(accountId: id, cursor: second.cursor)
        XCTAssertTrue(third.transactions.isEmpty)
    }

    func testLinkingTheSameBankTwiceFlagsTheDuplicates() async throws {
        let client = try await client()
        let first = try await link(client, "data_bank")
        XCTAssertTrue(first.duplicates.isEmpty)
        let second = try await link(client, "data_bank")
        XCTAssertEqual(second.duplicates.count, second.accounts.count)
        for duplicate in second.duplicates {
            XCTAssertTrue(first.accounts.contains { $0.id == duplicate.duplicateOf })
            XCTAssertTrue(second.accounts.contains { $0.id == duplicate.accountId })
        }
        let id = second.accounts[0].id
        let subscribed = try await client.subscribe(accountId: id, features: [.transactions])
        XCTAssertTrue(subscribed.subscriptions.contains("transactions"))
        let unsubscribed = try await client.unsubscribe(accountId: id, features: [.transactions])
        XCTAssertTrue(unsubscribed.subscriptions.isEmpty)
    }

    /// Cancelling the Swift `Task` that awaits `refresh()` while Stripe's refresh is polled
    /// slowly. UniFFI 0.32's Swift does not pass the cancellation into Rust (uniffi-rs#2771), so
    /// what must hold is the bound: the call ends by itself within `refreshDeadlineMs` plus one
    /// request, and the client keeps working.
    func testCancellingTheTaskDuringRefreshEndsWithinTheDeadline() async throws {
        let client = try await client()
        let result = try await link(client, "data_bank")
        let id = try XCTUnwrap(result.accounts.first).id
        try sim.pushFault(endpointName: "refresh", faultSpec: "delay_ms:1500", count: 1)
        let started = DispatchTime.now().uptimeNanoseconds
        let call = Task { try await client.refresh(accountId: id, features: [.balances]) }
        try await Task.sleep(nanoseconds: 200_000_000)
        call.cancel()
        _ = await call.result
        let ms = (DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
        XCTAssertLessThan(ms, 5_000 + 5_000, "the cancelled refresh outlived its deadline: \(ms) ms")
        let accounts = try await client.listAccounts()
        XCTAssertTrue(accounts.contains { $0.id == id }, "the client works after a cancelled call")
    }

    // MARK: - The lying backend (testkit's table, the same as the Rust and Kotlin runs)

    private func lyingCase(_ name: String) throws -> TestLyingCase {
        try XCTUnwrap(lyingCases().first { $0.name == name }, "no lying case \(name)")
    }

    /// A client of `server` on the Swift transport (PlatformHttpTransport) with `lying`'s deadlines.
    private func lyingClient(_ server: TestLyingServer, _ lying: TestLyingCase) async throws -> FlowClient {
        try await FlowClient.open(
            config: FlowClientConfig(
                backendUrl: server.backendUrl(),
                returnUrls: [dataReturnURL],
                dataDir: dataDir.path,
                stripeFallback: false,
                connectTimeoutMs: 1_000,
                requestTimeoutMs: 5_000,
                maxAttempts: 2,
                refreshDeadlineMs: lying.refreshDeadlineMs,
                callDeadlineMs: lying.callDeadlineMs
            ),
            headers: DataUser()
        )
    }

    /// Runs one case of the table; returns what went wrong (empty when all held).
    private func runLying(_ lying: TestLyingCase) async throws -> [String] {
        var wrong: [String] = []
        let server = try TestLyingServer.start(caseName: lying.name)
        defer { server.shutdown() }
        let client = try await lyingClient(server, lying)
        let id = server.accountId()
        let started = DispatchTime.now().uptimeNanoseconds
        var texts: [String] = []
        var thrown: Error?
        do {
            switch lying.call {
            case "account":
                texts.append(String(describing: try await client.account(accountId: id)))
            case "refresh":
                let report = try await client.refresh(accountId: id, features: [.balances])
                let pending = outcome(report, .balances) == .stillPending
                if pending != lying.expectStillPending { wrong.append("still pending: \(pending)") }
                texts.append(String(describing: report))
            case "owners":
                let owners = try await client.owners(accountId: id)
                if owners.owners.count > 10_000 { wrong.append("\(owners.owners.count) owners, over the cap") }
                texts.append(String(describing: owners))
            case "sync":
                let sync = try await client.syncTransactions(accountId: id, cursor: nil)
                if sync.transactions.count > 10_000 { wrong.append("\(sync.transactions.count) transactions, over the cap") }
                if sync.hasMore != lying.expectHasMore { wrong.append("hasMore \(sync.hasMore)") }
                texts.append("\(sync.cursor ?? "nil") \(sync.transactions.first.map { String(describing: $0) } ?? "")")
            default:
                wrong.append("unknown call \(lying.call)")
            }
        } catch {
            thrown = error
        }
        let ms = (DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
        switch (lying.expectedError, thrown) {
        case (nil, nil):
            break
        case (nil, let error?):
            wrong.append("expected success, got \(error)")
        case (let expected?, nil):
            wrong.append("expected \(expected), got success")
        case (let expected?, let error?):
            guard let error = error as? FinConnError else {
                wrong.append("not a FinConnError: \(error)")
                break
            }
            if errorCode(error) != expected { wrong.append("expected \(expected), got \(error)") }
            if !error.localizedDescription.contains(lying.messageContains) {
                wrong.append("the reason does not say '\(lying.messageContains)': \(error)")
            }
            texts.append(String(describing: error))
            texts.append(error.localizedDescription)
        }
        let list = try server.requests(endpoint: "owners") + server.requests(endpoint: "transactions")
        if list > lying.maxListRequests { wrong.append("\(list) list requests, more than \(lying.maxListRequests)") }
        if try server.maxLimitAsked() > 100 { wrong.append("asked limit=\(try server.maxLimitAsked())") }
        if ms > lying.maxMs { wrong.append("took \(ms) ms, more than \(lying.maxMs) ms") }
        for planted in lying.planted where texts.contains(where: { $0.contains(planted) }) {
            wrong.append("the lie's value (\(planted.count) chars) reached the app")
        }
        if try server.requests(endpoint: "other") != 0 { wrong.append("a request went to an unknown path") }
        return wrong
    }

    private func assertHolds(_ names: String..., line: UInt = #line) async throws {
        var failures: [String] = []
        for name in names {
            failures += try await runLying(lyingCase(name)).map { "\(name): \($0)" }
        }
        XCTAssertTrue(failures.isEmpty, failures.joined(separator: "\n"), line: line)
    }

    func testAPageLargerThanTheLimitIsAnInvalidResponse() async throws {
        try await assertHolds("transactions_page_over_the_limit", "owners_page_over_the_limit")
    }

    func testAlternatingPagesAreCaughtAsALoop() async throws {
        try await assertHolds("transactions_alternating_pages", "owners_alternating_pages")
    }

    func testRefreshIsBoundedByItsDeadlineAsAWhole() async throws {
        try await assertHolds("slow_refresh_polls")
    }

    func testASyncStopsAtTheTotalCapAndContinuesFromItsCursor() async throws {
        try await assertHolds("transactions_beyond_the_total_cap", "fat_transactions_beyond_the_byte_cap")
        // 120 pages of 100: read in two calls, 10,000 then 2,000, each within 100 requests.
        let server = try TestLyingServer.startWithPages(pages: 120)
        defer { server.shutdown() }
        let client = try await lyingClient(server, lyingCase("transactions_beyond_the_total_cap"))
        let id = server.accountId()
        let first = try await client.syncTransactions(accountId: id, cursor: nil)
        XCTAssertEqual(first.transactions.count, 10_000)
        XCTAssertTrue(first.hasMore, "stopped at the cap")
        XCTAssertEqual(try server.requests(endpoint: "transactions"), 100)
        let second = try await client.syncTransactions(accountId: id, cursor: first.cursor)
        XCTAssertFalse(second.hasMore, "the list ended")
        XCTAssertEqual(second.transactions.count, 2_000)
        XCTAssertEqual(try server.requests(endpoint: "transactions"), 120, "at most 100 requests per call")
        XCTAssertEqual(Set((first.transactions + second.transactions).map { $0.id }).count, 12_000, "every transaction once")
        XCTAssertEqual(second.cursor, "fctxnref_1lying")
        XCTAssertLessThanOrEqual(try server.maxLimitAsked(), 100)
    }

    func testEveryLyingCaseIsBoundedAndNothingItPlantsReachesTheApp() async throws {
        let cases = lyingCases()
        XCTAssertGreaterThanOrEqual(cases.count, 15, "the table is not empty")
        var failures: [String] = []
        for lying in cases {
            let started = DispatchTime.now().uptimeNanoseconds
            let wrong = try await runLying(lying)
            let ms = (DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
            print("lying-backend[URLSession] \(lying.name): \(wrong.isEmpty ? "ok" : "WRONG") (\(ms) ms)")
            failures += wrong.map { "\(lying.name): \($0)" }
        }
        XCTAssertTrue(failures.isEmpty, failures.joined(separator: "\n"))
    }
}
