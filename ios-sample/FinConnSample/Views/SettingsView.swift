import SwiftUI

/// Backend URL, user token and appearance; saved in UserDefaults, applied with Done.
struct SettingsView: View {
    @EnvironmentObject private var model: AppModel
    @Environment(\.dismiss) private var dismiss

    @AppStorage(SampleConfig.Keys.backendURL) private var backendURL = SampleConfig.defaultBackendURL
    @AppStorage(SampleConfig.Keys.userToken) private var userToken = SampleConfig.defaultUserToken
    @AppStorage(SampleConfig.Keys.appearance) private var appearance = Appearance.automatic

    var body: some View {
        NavigationView {
            Form {
                Section(
                    header: Text("Backend"),
                    footer: Text("`fc serve` on this Mac is http://127.0.0.1:4242 from the Simulator. Plain http is accepted only for loopback addresses; use https anywhere else.")
                ) {
                    TextField("Backend URL", text: $backendURL)
                        .keyboardType(.URL)
                        .textInputAutocapitalization(.never)
                        .disableAutocorrection(true)
                    TextField("User token", text: $userToken)
                        .textInputAutocapitalization(.never)
                        .disableAutocorrection(true)
                }
                Section(header: Text("Appearance")) {
                    Picker("Appearance", selection: $appearance) {
                        ForEach(Appearance.allCases) { style in
                            Text(style.title).tag(style)
                        }
                    }
                    .pickerStyle(.segmented)
                }
                Section {
                    Button("Reset to defaults") {
                        backendURL = SampleConfig.defaultBackendURL
                        userToken = SampleConfig.defaultUserToken
                        appearance = .automatic
                    }
                }
            }
            .navigationTitle("Settings")
            .navigationBarTitleDisplayMode(.inline)
            .toolbar {
                ToolbarItem(placement: .confirmationAction) {
                    Button("Done") {
                        Task { await model.controller.applySettings() }
                        dismiss()
                    }
                }
            }
        }
    }
}
