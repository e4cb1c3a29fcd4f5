import Foundation
import StripeFinancialConnections

/// Fixed values of the sample: the return URL registered in Info.plist (CFBundleURLTypes) and the
/// keys of what the Settings screen stores in UserDefaults.
enum SampleConfig {
    /// Registered in Info.plist, passed to the core (FlowClientConfig.returnUrls,
    /// SessionOptions.returnUrl) and to Stripe's sheet (`returnURL:`).
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
        static let sheetStyle = "settings.sheetStyle"
    }
}

/// Light/dark appearance of Stripe's sheet (FinancialConnectionsSheet.Configuration.style), also
/// applied to the sample's own screens (`colorScheme`, in AppModel.swift: SwiftUI).
enum SheetStyle: String, CaseIterable, Identifiable {
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

    var stripeStyle: FinancialConnectionsSheet.Configuration.UserInterfaceStyle {
        switch self {
        case .automatic: return .automatic
        case .alwaysLight: return .alwaysLight
        case .alwaysDark: return .alwaysDark
        }
    }
}

/// The values the Settings screen edits, read when the FlowClient is (re)created.
struct SampleSettings {
    var backendURL: String
    var userToken: String
    var sheetStyle: SheetStyle

    static func load(from defaults: UserDefaults = .standard) -> SampleSettings {
        SampleSettings(
            backendURL: defaults.string(forKey: SampleConfig.Keys.backendURL) ?? SampleConfig.defaultBackendURL,
            userToken: defaults.string(forKey: SampleConfig.Keys.userToken) ?? SampleConfig.defaultUserToken,
            sheetStyle: defaults.string(forKey: SampleConfig.Keys.sheetStyle).flatMap(SheetStyle.init(rawValue:)) ?? .automatic
        )
    }
}
