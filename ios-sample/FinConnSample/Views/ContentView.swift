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
                        model.linkAccount()
                    } label: {
                        Label("Link your bank account", systemImage: "building.columns")
                    }
                    .disabled(!model.isConfigured || model.isBusy)

                    HStack(spacing: 8) {
                        if model.isBusy {
                            ProgressView()
                        }
                        Text(model.statusText)
                    }
                    if !model.phaseText.isEmpty {
                        Text(model.phaseText)
                            .font(.caption)
                            .foregroundColor(.secondary)
                    }
                    if model.canCheckAgain {
                        Button("Check the result again") {
                            model.checkAgain()
                        }
                        .disabled(model.isBusy)
                    }
                }

                Section(header: Text("Linked accounts")) {
                    if model.accounts.isEmpty {
                        Text("No linked account yet.")
                            .foregroundColor(.secondary)
                    }
                    ForEach(model.accounts, id: \.id) { account in
                        NavigationLink(destination: AccountView(accountId: account.id).environmentObject(model)) {
                            AccountRow(account: account, relinkDisabled: model.isBusy) {
                                model.relink(account)
                            }
                        }
                    }
                }
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
                await model.refreshAccounts()
            }
            .sheet(isPresented: $showingSettings) {
                SettingsView()
                    .environmentObject(model)
            }
        }
        .navigationViewStyle(.stack)
        .preferredColorScheme(model.sheetStyle.colorScheme)
    }
}
