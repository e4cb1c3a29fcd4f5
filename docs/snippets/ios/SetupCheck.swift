import FinConn

func logSetupProblems(_ client: FlowClient) async {
    #if DEBUG
    for finding in await client.checkSetup() where !finding.passed {
        print("setup \(finding.code): \(finding.message)")
    }
    #endif
}
