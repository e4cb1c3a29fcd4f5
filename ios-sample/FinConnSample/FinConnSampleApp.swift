import StripeFinancialConnections
import SwiftUI

@main
struct FinConnSampleApp: App {
    @StateObject private var model = AppModel()
    @Environment(\.scenePhase) private var scenePhase

    var body: some Scene {
        WindowGroup {
            ContentView()
                .environmentObject(model)
                .task {
                    await model.launch()
                }
                .onOpenURL { url in
                    // Every URL goes to Stripe's SDK and to the core; neither is parsed here.
                    let handledByStripe = StripeAPI.handleURLCallback(with: url)
                    model.handleOpenURL(url, handledByStripe: handledByStripe)
                }
        }
        .onChange(of: scenePhase) { phase in
            model.scenePhaseChanged(to: phase)
        }
    }
}
