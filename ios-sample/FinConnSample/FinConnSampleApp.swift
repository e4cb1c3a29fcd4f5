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
                    // Every URL goes to Stripe's SDK and to the core (SampleController); neither
                    // is parsed here.
                    model.handleOpenURL(url)
                }
        }
        .onChange(of: scenePhase) { phase in
            model.scenePhaseChanged(to: phase)
        }
    }
}
