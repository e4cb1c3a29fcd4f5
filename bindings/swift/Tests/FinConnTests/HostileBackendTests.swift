// The hostile-backend matrix on the Swift transport (PlatformHttpTransport, URLSession): the same
// table as core/tests/hostile_backend.rs and bindings/tests/kotlin/HostileBackendTest.kt
// (`hostileCases()`, exported by the `testing` build), the same assertions. macOS only
// (`bindings/swift/build-xcframework.sh --testing`).
import Foundation
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

/// Trusts the server's self-signed certificate and nothing else (an https case): the same hook
/// as an app's pinning delegate (bindings/swift/README.md).
private final class TrustOnly: NSObject, URLSessionDelegate, @unchecked Sendable {
    let certificate: Data

    init(certificate: Data) {
        self.certificate = certificate
    }

    func urlSession(_ session: URLSession, didReceive challenge: URLAuthenticationChallenge)
        async -> (URLSession.AuthChallengeDisposition, URLCredential?) {
        guard challenge.protectionSpace.authenticationMethod == NSURLAuthenticationMethodServerTrust,
              let trust = challenge.protectionSpace.serverTrust,
              let root = SecCertificateCreateWithData(nil, certificate as CFData),
              SecTrustSetAnchorCertificates(trust, [root] as CFArray) == errSecSuccess,
              SecTrustSetAnchorCertificatesOnly(trust, true) == errSecSuccess,
              SecTrustEvaluateWithError(trust, nil)
        else { return (.cancelAuthenticationChallenge, nil) }
        return (.useCredential, URLCredential(trust: trust))
    }
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

/// The error code of the table (`Error::code()` in Rust) of a thrown `FinConnError`.
private func code(_ error: FinConnError) -> String {
    switch error {
    case .Other: return "other"
    case .Timeout: return "timeout"
    case .Offline: return "offline"
    case .ServiceUnavailable: return "service_unavailable"
    case .Rejected: return "rejected"
    case .InvalidConfiguration: return "invalid_configuration"
    case .Unauthorized: return "unauthorized"
    case .InvalidState: return "invalid_state"
    case .SnapshotUnusable: return "snapshot_unusable"
    case .Storage: return "storage"
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
        // An https case: a session trusting only the server's certificate.
        let transport: PlatformHttpTransport
        if let der = try server.certificateDer() {
            transport = PlatformHttpTransport(session: URLSession(
                configuration: PlatformHttpTransport.ephemeralConfiguration(),
                delegate: TrustOnly(certificate: der),
                delegateQueue: nil
            ))
        } else {
            transport = PlatformHttpTransport()
        }
        let client = try FlowClient(
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
                try flow.sheetPresented()
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
            if code(error) != expected {
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
        executionTimeAllowance = 300
        let lines = HostileLines()
        setLogger(logger: lines, maxLevel: .trace)
        defer { clearLogger() }
        let cases = hostileCases()
        XCTAssertTrue(cases.count >= 15, "the table is not empty")
        var failures: [String] = []
        var texts: [String] = []
        for hostile in cases {
            let (wrong, caseTexts) = try await run(hostile)
            failures.append(contentsOf: wrong)
            texts.append(contentsOf: caseTexts)
        }
        texts.append(contentsOf: lines.all)
        let secrets = try TestHostileServer.start(caseName: cases[0].name).secrets()
        for text in texts {
            for secret in secrets where text.contains(secret) {
                failures.append("a secret (\(secret)) appears in: \(text)")
            }
        }
        XCTAssertTrue(failures.isEmpty, failures.joined(separator: "\n"))
    }
}
