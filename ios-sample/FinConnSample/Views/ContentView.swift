import FinConn
import SwiftUI

struct ContentView: View {
    @EnvironmentObject private var model: AppModel
    @State private var showingSettings = false

    var body: some View {
        NavigationView {
            List {
                Section {
                    Button {
                        Task { await model.controller.linkAccount() }
                    } label: {
                        Label("Link your bank account", systemImage: "building.columns")
                    }
                    .disabled(!model.state.isConfigured || model.state.isBusy)

                    HStack(spacing: 8) {
                        if model.state.isBusy {
                            ProgressView()
                        }
                        Text(model.state.statusText)
                    }
                    if !model.state.phaseText.isEmpty {
                        Text(model.state.phaseText)
                            .font(.caption)
                            .foregroundColor(.secondary)
                    }
                }

                Section(header: Text("Linked accounts")) {
                    if model.state.accounts.isEmpty {
                        Text("No linked account yet.")
                            .foregroundColor(.secondary)
                    }
                    ForEach(model.state.accounts, id: \.id) { account in
                        NavigationLink(destination: AccountView(accountId: account.id).environmentObject(model)) {
                            AccountRow(account: account, relinkDisabled: model.state.isBusy) {
                                Task { await model.controller.relink(account) }
                            }
                        }
                    }
                }

                #if DEBUG
                SetupCheckSection()
                #endif
            }
            .navigationTitle("FinConn Sample")
            .toolbar {
                ToolbarItem(placement: .navigationBarTrailing) {
                    Button {
                        showingSettings = true
                    } label: {
                        Image(systemName: "gearshape")
                    }
                    .accessibilityLabel("Settings")
                }
            }
            .refreshable {
                await model.controller.refreshAccounts()
            }
            .sheet(isPresented: $showingSettings) {
                SettingsView()
                    .environmentObject(model)
            }
        }
        .navigationViewStyle(.stack)
        .preferredColorScheme(model.state.appearance.colorScheme)
    }
}

/// Debug builds: the library's setup self-check (`FlowClient.checkSetup()`), each finding as the
/// library words it.
private struct SetupCheckSection: View {
    @EnvironmentObject private var model: AppModel

    var body: some View {
        Section(header: Text("Setup (debug)")) {
            Button("Check setup") {
                Task { await model.controller.checkSetup() }
            }
            .disabled(!model.state.isConfigured)
            ForEach(model.state.setupFindings, id: \.code) { finding in
                VStack(alignment: .leading, spacing: 2) {
                    Label(finding.code, systemImage: finding.passed ? "checkmark.circle" : "exclamationmark.triangle")
                        .foregroundColor(finding.passed ? .green : .orange)
                    Text(finding.message)
                        .font(.caption)
                        .foregroundColor(.secondary)
                }
            }
        }
    }
}
