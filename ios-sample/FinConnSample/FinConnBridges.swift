import FinConn
import Foundation
import os

// The three protocols the app implements for the core. The core calls them on its own threads,
// hence the `Sendable` classes with immutable state.

/// Headers of every backend call: who the user is. `fc serve` accepts any bearer token.
final class BearerHeaders: HeadersProvider {
    private let token: String

    init(token: String) {
        self.token = token
    }

    func headers() -> [String: String] {
        ["Authorization": "Bearer \(token)"]
    }
}

/// Forwards the core's flow events (phase changes, deep links, reports) to a closure.
final class FlowEventsForwarder: FlowListener {
    private let handler: @Sendable (FlowEvent) -> Void

    init(_ handler: @escaping @Sendable (FlowEvent) -> Void) {
        self.handler = handler
    }

    func onEvent(event: FlowEvent) {
        handler(event)
    }
}

/// The core's logs in the unified logging system (Console.app, `log stream --predicate
/// 'subsystem == "io.finconn.sample"'`). The core never puts a secret in a log line, so the text is
/// logged as public.
///
/// `FinConn.Logger` (the protocol) and `os.Logger` (Apple's logger) share a name: both are always
/// written with their module here.
final class OSLogForwarder: FinConn.Logger {
    private let osLog = os.Logger(subsystem: "io.finconn.sample", category: "finconn-core")

    func log(level: LogLevel, target: String, message: String) {
        let type: OSLogType
        switch level {
        case .error: type = .error
        case .warn: type = .default
        case .info: type = .info
        case .debug, .trace: type = .debug
        }
        osLog.log(level: type, "[\(target, privacy: .public)] \(message, privacy: .public)")
    }
}
