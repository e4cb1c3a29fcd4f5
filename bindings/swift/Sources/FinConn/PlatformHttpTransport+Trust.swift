// Hand-written, Apple platforms only (`#if canImport(Security)`): certificate pinning for
// `PlatformHttpTransport` through its session's server-trust challenge. Foundation on Linux
// (libcurl) never asks a URLSession delegate about server trust, so there is nothing to hook
// there: Linux uses the system trust store. Not compiled by the Linux CI; see bindings/swift/README.md.
#if canImport(Security)
import Foundation
import Security

extension PlatformHttpTransport {
    /// A challenge handler that trusts exactly `certificates` (DER) as anchors, and no system root:
    /// the server's chain must lead to one of them, and its name must match. Every other
    /// challenge gets the default handling.
    public static func trusting(certificates: [Data]) -> ChallengeHandler {
        let anchors = certificates.compactMap { SecCertificateCreateWithData(nil, $0 as CFData) }
        return { challenge in
            guard challenge.protectionSpace.authenticationMethod == NSURLAuthenticationMethodServerTrust else {
                return (.performDefaultHandling, nil)
            }
            guard !anchors.isEmpty,
                  let trust = challenge.protectionSpace.serverTrust,
                  SecTrustSetAnchorCertificates(trust, anchors as CFArray) == errSecSuccess,
                  SecTrustSetAnchorCertificatesOnly(trust, true) == errSecSuccess,
                  SecTrustEvaluateWithError(trust, nil)
            else { return (.cancelAuthenticationChallenge, nil) }
            return (.useCredential, URLCredential(trust: trust))
        }
    }
}
#endif
