import SwiftUI

@main
struct FinConnSampleApp: App {
    @StateObject private var model = AppModel()

    var body: some Scene {
        WindowGroup {
            ContentView()
                .environmentObject(model)
                .task {
                    await model.controller.launch()
                }
                .onOpenURL { url in
                    // Every URL goes to Stripe's SDK and to the core (SampleController); neither
                    // is parsed here.
                    Task { await model.controller.handleOpenURL(url) }
                }
        }
    }
}
