import Foundation

/// Fixed values of the sample: the return URL registered in Info.plist (CFBundleURLTypes) and the
/// keys of what the Settings screen stores in UserDefaults.
enum SampleConfig {
    /// Registered in Info.plist, passed to the core (FlowClientConfig.returnUrls,
    /// SessionOptions.returnUrl) and to Stripe's sheet (`StripeSheetPresenter(returnURL:)`).
    static let returnURL = "finconn-sample://stripe-redirect"

    /// Info.plist key FinConnBackendURL: the backend used until one is set in Settings.
    static var defaultBackendURL: String {
        Bundle.main.object(forInfoDictionaryKey: "FinConnBackendURL") as? String ?? "http://127.0.0.1:4242"
    }

    /// `fc serve` treats any bearer token as a user; a real app puts its session token here.
    static let defaultUserToken = "sample-user"

    enum Keys {
        static let backendURL = "settings.backendURL"
        static let userToken = "settings.userToken"
        static let appearance = "settings.appearance"
    }
}

/// Light/dark appearance of the sample's screens (`colorScheme`, in AppModel.swift: SwiftUI).
enum Appearance: String, CaseIterable, Identifiable {
    case automatic
    case alwaysLight
    case alwaysDark

    var id: String { rawValue }

    var title: String {
        switch self {
        case .automatic: return "System"
        case .alwaysLight: return "Light"
        case .alwaysDark: return "Dark"
        }
    }
}

/// The values the Settings screen edits, read when the FlowClient is (re)created.
struct SampleSettings {
    var backendURL: String
    var userToken: String
    var appearance: Appearance

    static func load(from defaults: UserDefaults = .standard) -> SampleSettings {
        SampleSettings(
            backendURL: defaults.string(forKey: SampleConfig.Keys.backendURL) ?? SampleConfig.defaultBackendURL,
            userToken: defaults.string(forKey: SampleConfig.Keys.userToken) ?? SampleConfig.defaultUserToken,
            appearance: defaults.string(forKey: SampleConfig.Keys.appearance).flatMap(Appearance.init(rawValue:)) ?? .automatic
        )
    }
}
