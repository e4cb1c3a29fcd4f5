import FinConn

/// Who the user is, on every backend call. Called on a library thread, before each attempt.
final class SessionHeaders: HeadersProvider {
    private let token: String
    init(token: String) { self.token = token }
    func headers() -> [String: String] { ["Authorization": "Bearer \(token)"] }
}

func openClient(userToken: String) async throws -> FlowClient {
    try await FlowClient.open(config: FlowClientConfig(backendUrl: "https://api.example.com",   // your backend (step 2)
                                                       returnUrls: ["myapp://stripe-redirect"],  // step 3
                                                       dataDir: try finconnDataDirectory()),     // step 4
                              headers: SessionHeaders(token: userToken))
}
