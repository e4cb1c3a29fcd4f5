// The hostile-backend matrix on the Swift transport (PlatformHttpTransport, URLSession): the same
// table as core/tests/hostile_backend.rs and bindings/tests/kotlin/HostileBackendTest.kt
// (`hostileCases()`, exported by the `testing` build), the same assertions, reported row by row
// (`hostile-matrix[URLSession] <case>: …`). Runs on Linux (swift-corelibs-foundation, CI) and on
// macOS. Rows that cannot run on Linux Foundation are reported as `apple-only` with the reason.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

import FinConn

private let hostileReturnURL = "finconn-test://stripe-redirect"

/// The user's token, plus a CR/LF header when the case says so.
private final class HostileHeaders: HeadersProvider, @unchecked Sendable {
    let token: String
    let crlf: Bool

    init(token: String, crlf: Bool) {
        self.token = token
        self.crlf = crlf
    }

    func headers() -> [String: String] {
        var headers = ["Authorization": "Bearer \(token)"]
        if crlf {
            headers["X-Evil"] = "a\r\nX-Injected: 1"
        }
        return headers
    }
}

/// Why a row of the table cannot run on this Foundation, or nil when it runs.
private func appleOnlyReason(_ hostile: TestHostileCase) -> String? {
    #if canImport(Security)
    return nil
    #else
    guard hostile.tls else { return nil }
    return "trusting one self-signed certificate needs the server-trust challenge; Foundation on Linux "
        + "(libcurl) never asks a URLSession delegate about server trust and has no per-session CA setting "
        + "(its CA-file override exists only in the Android build)"
    #endif
}

/// The transport of a row: on Apple platforms, an https row trusts the server's self-signed
/// certificate and nothing else (`PlatformHttpTransport.trusting`, the app's pinning hook).
private func transport(for server: TestHostileServer) throws -> PlatformHttpTransport {
    #if canImport(Security)
    if let der = try server.certificateDer() {
        return PlatformHttpTransport(challengeHandler: PlatformHttpTransport.trusting(certificates: [der]))
    }
    #endif
    return PlatformHttpTransport()
}

private final class HostileEvents: FlowListener, @unchecked Sendable {
    private let lock = NSLock()
    private var events: [String] = []

    func onEvent(event: FlowEvent) {
        lock.lock()
        defer { lock.unlock() }
        events.append(String(describing: event))
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }
}

private final class HostileLines: Logger, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func log(level: LogLevel, target: String, message: String) {
        lock.lock()
        defer { lock.unlock() }
        lines.append("\(level) \(target) \(message)")
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}


final class HostileBackendTests: XCTestCase {
    /// Runs one case; returns what went wrong and the texts that must hold no secret.
    private func run(_ hostile: TestHostileCase) async throws -> (wrong: [String], texts: [String]) {
        var wrong: [String] = []
        var texts: [String] = []
        let server = try TestHostileServer.start(caseName: hostile.name)
        defer { server.shutdown() }
        let dataDir = FileManager.default.temporaryDirectory
            .appendingPathComponent("finconn-hostile-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let transport = try transport(for: server)
        let client = try await FlowClient.open(
            config: FlowClientConfig(
                backendUrl: server.backendUrl(),
                returnUrls: [hostileReturnURL],
                dataDir: dataDir.path,
                stripeFallback: false,
                connectTimeoutMs: 1_000,
                requestTimeoutMs: 1_500,
                maxAttempts: 2,
                maxResponseBytes: hostile.maxResponseBytes
            ),
            headers: HostileHeaders(token: server.userToken(), crlf: hostile.crlfHeader),
            transport: transport
        )
        let events = HostileEvents()
        _ = client.addListener(listener: events)
        let flow = try client.newFlow(options: SessionOptions(permissions: [.balances], returnUrl: hostileReturnURL))
        var thrown: FinConnError?
        do {
            let sheet = try await flow.start()
            texts.append(String(describing: sheet))
            if hostile.stage == "complete" {
                try await flow.sheetPresented()
                _ = try await flow.sheetResult(result: .completed)
            }
        } catch let error as FinConnError {
            thrown = error
        }
        switch (hostile.expectedError, thrown) {
        case (nil, nil):
            break
        case (nil, let error?):
            wrong.append("\(hostile.name): expected success, got \(error)")
        case (let expected?, nil):
            wrong.append("\(hostile.name): expected \(expected), got success")
        case (let expected?, let error?):
            if errorCode(error) != expected {
                wrong.append("\(hostile.name): expected \(expected), got \(error)")
            }
            if !error.localizedDescription.contains(hostile.messageContains) {
                wrong.append("\(hostile.name): the reason does not say '\(hostile.messageContains)': \(error)")
            }
            texts.append(String(describing: error))
            texts.append(error.localizedDescription)
        }
        let snapshot = flow.snapshot()
        for secret in server.secrets() where !secret.hasPrefix("rt_") && snapshot.contains(secret) {
            wrong.append("\(hostile.name): the snapshot holds \(secret)")
        }
        if try server.otherHostConnections() != 0 {
            wrong.append("\(hostile.name): a connection reached the other host")
        }
        if try server.stealRequests() != 0 {
            wrong.append("\(hostile.name): the same-host redirect target was requested")
        }
        if hostile.tls, try server.requests() == 0 {
            wrong.append("\(hostile.name): no request came over TLS: the https case did not test https")
        }
        if hostile.crlfHeader, try server.requests() != 0 {
            wrong.append("\(hostile.name): a request was sent with a CR/LF header")
        }
        texts.append(contentsOf: events.all)
        return (wrong, texts)
    }

    func testEveryHostileCaseGetsATypedErrorAndNothingElse() async throws {
        let lines = HostileLines()
        setLogger(logger: lines, maxLevel: .trace)
        defer { clearLogger() }
        let cases = hostileCases()
        XCTAssertTrue(cases.count >= 15, "the table is not empty")
        var failures: [String] = []
        var texts: [String] = []
        var ran = 0
        for hostile in cases {
            if let reason = appleOnlyReason(hostile) {
                print("hostile-matrix[URLSession] \(hostile.name): apple-only (\(reason))")
                continue
            }
            let started = DispatchTime.now().uptimeNanoseconds
            let (wrong, caseTexts) = try await run(hostile)
            let ms = (DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
            let verdict = wrong.isEmpty ? "ok" : "WRONG: " + wrong.joined(separator: "; ")
            print("hostile-matrix[URLSession] \(hostile.name): \(verdict) (\(hostile.expectedError ?? "success"), \(ms) ms)")
            fflush(stdout)
            failures.append(contentsOf: wrong)
            texts.append(contentsOf: caseTexts)
            ran += 1
        }
        XCTAssertTrue(ran >= cases.count - 2, "at most the two https rows may be Apple-only; ran \(ran) of \(cases.count)")
        texts.append(contentsOf: lines.all)
        let secrets = try TestHostileServer.start(caseName: cases[0].name).secrets()
        for text in texts {
            for secret in secrets where text.contains(secret) {
                failures.append("a secret (\(secret)) appears in: \(text)")
            }
        }
        XCTAssertTrue(failures.isEmpty, failures.joined(separator: "\n"))
    }

    /// An https backend whose certificate the system does not trust: refused in the handshake,
    /// nothing sent, and `FinConnError.Tls`: never "offline, retry later". Runs on Linux too:
    /// the system trust store is what libcurl uses.
    func testAnUntrustedCertificateIsRefusedBeforeAnyRequest() async throws {
        let hostile = try XCTUnwrap(hostileCases().first { $0.tls }, "the table has an https row")
        let server = try TestHostileServer.start(caseName: hostile.name)
        defer { server.shutdown() }
        XCTAssertTrue(server.backendUrl().hasPrefix("https://"))
        let dataDir = FileManager.default.temporaryDirectory
            .appendingPathComponent("finconn-untrusted-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let client = try await FlowClient.open(
            config: FlowClientConfig(
                backendUrl: server.backendUrl(),
                returnUrls: [hostileReturnURL],
                dataDir: dataDir.path,
                stripeFallback: false,
                maxAttempts: 1
            ),
            headers: HostileHeaders(token: server.userToken(), crlf: false),
            transport: PlatformHttpTransport()
        )
        let flow = try client.newFlow(options: SessionOptions(permissions: [.balances], returnUrl: hostileReturnURL))
        do {
            let sheet = try await flow.start()
            XCTFail("an untrusted certificate was accepted: \(sheet)")
        } catch let error as FinConnError {
            XCTAssertEqual(errorCode(error), "tls", "a certificate failure is not offline: \(error)")
            XCTAssertTrue(error.localizedDescription.contains("TLS"), "\(error)")
        }
        XCTAssertEqual(try server.requests(), 0, "a request went through")
        XCTAssertEqual(try server.otherHostConnections(), 0)
    }
}
