// Hand-written part of the FinConn module, beside the generated FinConn.swift: the default
// `HttpTransport`, URLSession. Twin of bindings/android/src/main/java/io/finconn/PlatformHttpTransport.kt:
// the same rules. Compiled and tested on Linux (swift-corelibs-foundation) in CI, written for
// Apple's Foundation too; where the two differ it says so below.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The default `HttpTransport`: URLSession, so the app's trust store, ATS, proxies and VPNs
/// apply. It performs exactly the request the core decided:
/// - **no redirect is followed**: the session's own delegate answers every redirect with `nil`, so
///   the 3xx comes back as the answer and the core refuses it. (Swift on Linux asks only a
///   session's or task's delegate, never one passed to a single async call: that is why this
///   transport owns its session and its delegate.)
/// - an ephemeral session: no cookies, no cache, no credential storage; `Accept-Encoding: identity`;
/// - **the response cap** is enforced as bytes arrive: the exchange ends with
///   `TransportError.TooLarge` as soon as the body would pass `maxResponseBytes()` (at once when
///   `Content-Length` says so), and the task is stopped (below);
/// - **the core's total deadline** (`timeoutMs()`) is a wall-clock timer of its own around the
///   whole exchange. URLSession's `timeoutInterval` is only an idle timer (and, on Linux, whole
///   seconds, with `timeoutIntervalForResource` ignored), so it is set to the deadline rounded up
///   to whole seconds as a second line only;
/// - **cancelled with its task**: the core's own deadline, or Swift `Task` cancellation, ends the
///   exchange with `TransportError.Cancelled` at once;
/// - a task that must stop early is cancelled off the delegate queue, and never once URLSession
///   has reported its completion. On Linux it is not cancelled at all: swift-corelibs-foundation
///   traps when a cancel races a completion, so the core is answered at once and the transfer is
///   left to end by itself, its bytes dropped (see `Exchanges`).
///
/// On Linux, Foundation always decompresses a compressed body (libcurl); the cap then counts
/// decompressed bytes, which is the safe side. Nothing here logs a URL, header or body.
///
/// Pinning: pass `challengeHandler`; it answers the session's authentication challenges
/// (`NSURLAuthenticationMethodServerTrust` on Apple platforms, see
/// `PlatformHttpTransport.trusting(certificates:)`), or use `NSPinnedDomains` in Info.plist.
public final class PlatformHttpTransport: HttpTransport, @unchecked Sendable {
    /// Answers an authentication challenge of the transport's session (server trust: pinning).
    public typealias ChallengeHandler = @Sendable (URLAuthenticationChallenge)
        -> (URLSession.AuthChallengeDisposition, URLCredential?)

    private let session: URLSession
    private let exchanges: Exchanges

    /// - Parameters:
    ///   - configuration: the session's configuration (proxies, `httpAdditionalHeaders` are
    ///     ignored for reserved headers: the core decides those). Default
    ///     `PlatformHttpTransport.ephemeralConfiguration()`; cookies, cache and credential
    ///     storage are switched off on whatever is passed.
    ///   - challengeHandler: answers authentication challenges (pinning); default handling when nil.
    public init(
        configuration: URLSessionConfiguration = PlatformHttpTransport.ephemeralConfiguration(),
        challengeHandler: ChallengeHandler? = nil
    ) {
        let configuration = PlatformHttpTransport.hardened(configuration)
        exchanges = Exchanges(challengeHandler: challengeHandler)
        session = URLSession(configuration: configuration, delegate: exchanges, delegateQueue: exchanges.delegateQueue)
    }

    deinit {
        // A URLSession keeps its delegate alive until it is invalidated.
        #if canImport(FoundationNetworking)
        session.finishTasksAndInvalidate() // Linux: never cancel (see `Exchanges`)
        #else
        session.invalidateAndCancel()
        #endif
    }

    /// No cookies, no cache, no credential storage.
    public static func ephemeralConfiguration() -> URLSessionConfiguration {
        hardened(URLSessionConfiguration.ephemeral)
    }

    private static func hardened(_ configuration: URLSessionConfiguration) -> URLSessionConfiguration {
        configuration.httpCookieAcceptPolicy = .never
        configuration.httpShouldSetCookies = false
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.urlCredentialStorage = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        return configuration
    }

    /// The response headers the core reads (`responseHeaderNames()`, decided by the core); the
    /// transport returns only these.
    public static let responseHeaders: [String] = responseHeaderNames()

    /// URLSession's idle timeout for a deadline of `milliseconds`: whole seconds, rounded up, at
    /// least one (Linux truncates to whole seconds, and below one it fires almost at once).
    static func idleTimeoutSeconds(milliseconds: Int64) -> TimeInterval {
        TimeInterval(max(1, (milliseconds / 1000) + (milliseconds % 1000 == 0 ? 0 : 1)))
    }

    public func send(request: HttpRequest) async throws -> HttpResponse {
        guard let url = URL(string: request.url()) else {
            throw TransportError.Other(reason: "invalid URL")
        }
        let timeoutMs = request.timeoutMs()
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method() == .get ? "GET" : "POST"
        urlRequest.timeoutInterval = PlatformHttpTransport.idleTimeoutSeconds(milliseconds: timeoutMs)
        urlRequest.cachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        urlRequest.httpShouldHandleCookies = false
        for name in request.headerNames() {
            if let value = request.headerValue(name: name) {
                urlRequest.setValue(value, forHTTPHeaderField: name)
            }
        }
        urlRequest.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        urlRequest.httpBody = request.body()

        if Task.isCancelled {
            throw TransportError.Cancelled
        }
        let task = session.dataTask(with: urlRequest)
        let exchanges = self.exchanges
        let id = task.taskIdentifier
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HttpResponse, Error>) in
                exchanges.open(id, task: task, cap: request.maxResponseBytes(), continuation: continuation)
                if Task.isCancelled {
                    exchanges.finish(id, .failure(TransportError.Cancelled))
                    return
                }
                task.resume()
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(clamping: timeoutMs))) {
                    exchanges.finish(
                        id, .failure(TransportError.Timeout(reason: "no complete answer within \(timeoutMs) ms")))
                }
            }
        } onCancel: {
            exchanges.finish(id, .failure(TransportError.Cancelled))
        }
    }

    /// The error's code only; the core scrubs it and strips the URL.
    static func classify(_ error: Error) -> TransportError {
        guard let error = error as? URLError else {
            return .Other(reason: String(describing: type(of: error)))
        }
        let what = "URLError \(error.code.rawValue)"
        switch error.code {
        case .timedOut:
            return .Timeout(reason: what)
        case .cancelled:
            return .Cancelled
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected,
             .clientCertificateRequired:
            return .Tls(reason: what)
        case .unknown where isLibcurlTlsFailure(error):
            return .Tls(reason: what)
        default:
            return .Offline(reason: what)
        }
    }
}

/// Foundation on Linux reports every libcurl TLS failure (an untrusted or expired certificate, a
/// failed handshake) as `URLError.unknown` (-1), with only libcurl's text to tell it apart
/// ("SSL certificate problem: …", "SSL connect error", …). Apple's Foundation has the specific
/// codes above and never gets here.
private func isLibcurlTlsFailure(_ error: URLError) -> Bool {
    let text = error.localizedDescription.lowercased()
    return text.contains("ssl") || text.contains("tls") || text.contains("certificate")
}

/// The session delegate: one entry per exchange in flight, each ended exactly once by whichever
/// comes first (the answer, an error, the cap, the deadline, cancellation). All state is under
/// one lock; continuations are resumed outside it.
///
/// Ending an exchange whose task still runs (the cap, the deadline, cancellation):
/// - Apple platforms: the task is cancelled at once (off the delegate queue) and the caller is
///   answered when URLSession reports it complete, or after `stopGrace` if that takes longer.
/// - Foundation on Linux: the caller is answered at once and the task is left to end by itself
///   (the server closes, or URLSession's idle timeout); everything it still receives is dropped,
///   so memory stays bounded. swift-corelibs-foundation 6.3 traps ("Trying to access a behaviour
///   for a task that in not in the registry", or a `fatalError` in `_NativeProtocol.stopLoading`)
///   when `cancel()` or `suspend()` races the task's own completion, and no ordering of ours
///   (on or off the delegate queue, holding it, waiting for the report) closed the race: in CI
///   1 run in 10 of the hostile matrix crashed. Not cancelling is the only safe choice there;
///   the cost is the bandwidth of a hostile answer the core already refused.
private final class Exchanges: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private struct Exchange {
        let task: URLSessionTask
        let cap: Int64
        let continuation: CheckedContinuation<HttpResponse, Error>
        var response: HTTPURLResponse?
        var body = Data()
        /// Decided, the task being stopped: the answer once URLSession reports the task complete.
        var ending: Result<HttpResponse, Error>?
    }

    /// How long an exchange that was ended waits for URLSession to report its cancelled task.
    private static let stopGrace: DispatchTimeInterval = .milliseconds(200)


    private let lock = NSLock()
    private var open: [Int: Exchange] = [:]
    private let challengeHandler: PlatformHttpTransport.ChallengeHandler?
    /// The session's delegate queue (serial): where URLSession calls this delegate.
    let delegateQueue: OperationQueue

    init(challengeHandler: PlatformHttpTransport.ChallengeHandler?) {
        self.challengeHandler = challengeHandler
        delegateQueue = OperationQueue()
        delegateQueue.name = "io.finconn.PlatformHttpTransport"
        delegateQueue.maxConcurrentOperationCount = 1
    }

    func open(_ id: Int, task: URLSessionTask, cap: Int64, continuation: CheckedContinuation<HttpResponse, Error>) {
        lock.lock()
        open[id] = Exchange(task: task, cap: cap, continuation: continuation)
        lock.unlock()
    }

    /// Ends exchange `id` with `outcome` while its task still runs (the cap, the deadline,
    /// cancellation). Only the first outcome counts; later calls do nothing.
    func finish(_ id: Int, _ outcome: Result<HttpResponse, Error>) {
        lock.lock()
        guard var exchange = open[id], exchange.ending == nil else {
            lock.unlock()
            return
        }
        exchange.ending = outcome
        open[id] = exchange
        lock.unlock()
        #if canImport(FoundationNetworking)
        // Foundation on Linux: the task is left to end by itself, never cancelled (see `Exchanges`).
        answer(id, nil)
        #else
        let task = exchange.task
        DispatchQueue.global().async { [weak self] in
            guard task.state == .running else {
                // Never resumed (cancelled before it started), or URLSession is already
                // reporting its end: nothing to stop.
                self?.answer(id, nil)
                return
            }
            task.cancel()
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + Exchanges.stopGrace) { [weak self] in
            self?.answer(id, nil)
        }
        #endif
    }

    /// Answers the caller of exchange `id` once: with its decided ending if it has one, else with
    /// `natural` (what URLSession reported).
    private func answer(_ id: Int, _ natural: Result<HttpResponse, Error>?) {
        lock.lock()
        guard let exchange = open[id], let outcome = exchange.ending ?? natural else {
            lock.unlock()
            return
        }
        open[id] = nil
        lock.unlock()
        exchange.continuation.resume(with: outcome)
    }

    /// Runs `body` on exchange `id` (not yet ended) under the lock; what it returns, if anything,
    /// ends the exchange.
    private func update(_ id: Int, _ body: (inout Exchange) -> Result<HttpResponse, Error>?) {
        lock.lock()
        guard var exchange = open[id], exchange.ending == nil else {
            lock.unlock()
            return
        }
        let outcome = body(&exchange)
        open[id] = exchange
        lock.unlock()
        if let outcome {
            finish(id, outcome)
        }
    }

    func urlSession(
        _ session: URLSession,
        dataTask: URLSessionDataTask,
        didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        update(dataTask.taskIdentifier) { exchange in
            guard let http = response as? HTTPURLResponse, (100...599).contains(http.statusCode) else {
                return .failure(TransportError.Other(reason: "not an HTTP response"))
            }
            if http.expectedContentLength > 0 && http.expectedContentLength > exchange.cap {
                return .failure(TransportError.TooLarge(limit: exchange.cap))
            }
            exchange.response = http
            return nil
        }
        // Always `.allow`: an exchange that ended above is cancelled by `finish`, off this queue.
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        update(dataTask.taskIdentifier) { exchange in
            if Int64(exchange.body.count) + Int64(data.count) > exchange.cap {
                return .failure(TransportError.TooLarge(limit: exchange.cap))
            }
            exchange.body.append(data)
            return nil
        }
    }

    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping (URLRequest?) -> Void
    ) {
        // Never followed: the 3xx completes the task as the answer, and the core refuses it.
        completionHandler(nil)
    }

    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        if let challengeHandler {
            let (disposition, credential) = challengeHandler(challenge)
            completionHandler(disposition, credential)
        } else {
            completionHandler(.performDefaultHandling, nil)
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        let id = task.taskIdentifier
        lock.lock()
        let exchange = open[id]
        lock.unlock()
        guard let exchange else { return }
        if exchange.ending != nil {
            answer(id, nil)
            return
        }
        if let error {
            answer(id, .failure(PlatformHttpTransport.classify(error)))
            return
        }
        guard let http = exchange.response ?? (task.response as? HTTPURLResponse) else {
            answer(id, .failure(TransportError.Other(reason: "not an HTTP response")))
            return
        }
        var headers: [String: String] = [:]
        for name in PlatformHttpTransport.responseHeaders {
            if let value = http.value(forHTTPHeaderField: name) {
                headers[name] = value
            }
        }
        answer(id, .success(HttpResponse(status: Int32(http.statusCode), headers: headers, body: exchange.body)))
    }
}

extension FlowClient {
    /// Opens a `FlowClient` over the platform's HTTP stack (`PlatformHttpTransport`). Suspends
    /// while the client opens its directories in `dataDir`, on the library's executor, never on
    /// the caller's thread. Pass a transport to `open(config:headers:transport:)` to use your own
    /// (a pinning `PlatformHttpTransport`, or any `HttpTransport`).
    public static func open(config: FlowClientConfig, headers: HeadersProvider? = nil) async throws -> FlowClient {
        try await open(config: config, headers: headers, transport: PlatformHttpTransport())
    }
}
