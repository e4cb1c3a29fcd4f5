// Hand-written part of the FinConn module, beside the generated FinConn.swift. Twin of
// bindings/android/src/main/java/io/finconn/PlatformHttpTransport.kt (tested on the JVM in CI):
// keep them in step. It cannot be compiled on the Linux CI; it is parsed and name-checked there.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The default `HttpTransport`: URLSession, so the app's trust store, ATS, proxies, VPNs and its
/// own session delegate (pinning) apply. It performs exactly the request the core decided:
/// - redirects are not followed: a 3xx is returned as the answer and the core refuses it;
/// - an ephemeral session: no cookies, no cache, no credential storage;
///   and `Accept-Encoding: identity` (the body is read as sent);
/// - the body is read as it arrives and the read stops with `TransportError.TooLarge` as soon as
///   it passes `maxResponseBytes()` (or at once when `Content-Length` is larger);
/// - the request's timeout, and the total timeout checked while reading (a slow drip cannot
///   outlast it);
/// - cancelled with its task: the core's own deadline cancels it.
/// Nothing here logs a URL, header or body.
public final class PlatformHttpTransport: HttpTransport, @unchecked Sendable {
    private let session: URLSession

    /// `session`: pass your own (e.g. with a pinning `URLSessionDelegate`); redirects are refused
    /// per task whatever its delegate does. The default is an ephemeral session.
    public init(session: URLSession? = nil) {
        self.session = session ?? URLSession(
            configuration: PlatformHttpTransport.ephemeralConfiguration(),
            delegate: RedirectRefuser.shared,
            delegateQueue: nil
        )
    }

    /// No cookies, no cache, no credential storage.
    public static func ephemeralConfiguration() -> URLSessionConfiguration {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieAcceptPolicy = .never
        configuration.httpShouldSetCookies = false
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.urlCredentialStorage = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        return configuration
    }

    /// The response headers the core reads; the transport returns only these.
    public static let responseHeaders = ["Retry-After", "Content-Type", "Request-Id", "X-Request-Id"]

    public func send(request: HttpRequest) async throws -> HttpResponse {
        guard let url = URL(string: request.url()) else {
            throw TransportError.Other(reason: "invalid URL")
        }
        let timeoutMs = request.timeoutMs()
        let cap = request.maxResponseBytes()
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method() == .get ? "GET" : "POST"
        urlRequest.timeoutInterval = Double(timeoutMs) / 1000
        urlRequest.cachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        urlRequest.httpShouldHandleCookies = false
        for name in request.headerNames() {
            if let value = request.headerValue(name: name) {
                urlRequest.setValue(value, forHTTPHeaderField: name)
            }
        }
        urlRequest.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        urlRequest.httpBody = request.body()
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            let (bytes, response) = try await session.bytes(for: urlRequest, delegate: RedirectRefuser.shared)
            guard let http = response as? HTTPURLResponse, (100...599).contains(http.statusCode) else {
                throw TransportError.Other(reason: "not an HTTP response")
            }
            if http.expectedContentLength > 0 && UInt64(http.expectedContentLength) > cap {
                throw TransportError.TooLarge(limit: cap)
            }
            var body = Data()
            for try await byte in bytes {
                if UInt64(body.count) >= cap {
                    throw TransportError.TooLarge(limit: cap)
                }
                body.append(byte)
                if body.count % 8192 == 0 && (DispatchTime.now().uptimeNanoseconds - started) / 1_000_000 > timeoutMs {
                    throw TransportError.Timeout(reason: "the answer took longer than \(timeoutMs) ms")
                }
            }
            var headers: [String: String] = [:]
            for name in PlatformHttpTransport.responseHeaders {
                if let value = http.value(forHTTPHeaderField: name) {
                    headers[name] = value
                }
            }
            return HttpResponse(status: UInt16(http.statusCode), headers: headers, body: body)
        } catch let error as TransportError {
            throw error
        } catch is CancellationError {
            throw TransportError.Cancelled
        } catch let error as URLError {
            throw PlatformHttpTransport.classify(error)
        } catch {
            throw TransportError.Other(reason: String(describing: type(of: error)))
        }
    }

    /// The error's code; the core scrubs it and strips the URL.
    private static func classify(_ error: URLError) -> TransportError {
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
        default:
            return .Offline(reason: what)
        }
    }
}

/// Refuses every redirect: the task completes with the 3xx response.
private final class RedirectRefuser: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    static let shared = RedirectRefuser()

    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

extension FlowClient {
    /// A `FlowClient` over the platform's HTTP stack (`PlatformHttpTransport`). Pass a transport
    /// to `init(config:headers:transport:)` to use your own (a URLSession with a pinning delegate).
    public convenience init(config: FlowClientConfig, headers: HeadersProvider? = nil) throws {
        try self.init(config: config, headers: headers, transport: PlatformHttpTransport())
    }
}
