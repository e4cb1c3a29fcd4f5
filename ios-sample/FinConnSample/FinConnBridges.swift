import FinConn
import Foundation
#if canImport(os)
import os
#endif

// The three protocols the app implements for the core, and where the logs go. The core calls the
// protocols on its own threads, hence the `Sendable` classes with immutable state.

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

/// Where the log lines go: the sample's own (category `app`) and the core's (`finconn-core`). In the
/// app, the unified logging system (`SampleLog.unified`, below); in the Linux tests, a recorder.
/// No line holds a secret: the core never puts one in a log line or an error, and the sample logs
/// operation names, counts, flags, error sentences and request ids only.
struct SampleLog: Sendable {
    static let appCategory = "app"
    static let coreCategory = "finconn-core"

    let write: @Sendable (_ category: String, _ level: LogLevel, _ message: String) -> Void

    /// A line of the sample's own.
    func app(_ level: LogLevel, _ message: String) {
        write(Self.appCategory, level, message)
    }
}

/// The core's logs, `[target] message`, into a `SampleLog`.
///
/// `FinConn.Logger` (the protocol) and `os.Logger` (Apple's logger) share a name: both are always
/// written with their module here.
final class CoreLogForwarder: FinConn.Logger {
    private let sink: SampleLog

    init(_ sink: SampleLog) {
        self.sink = sink
    }

    func log(level: LogLevel, target: String, message: String) {
        sink.write(SampleLog.coreCategory, level, "[\(target)] \(message)")
    }
}

#if canImport(os)
extension SampleLog {
    /// The unified logging system (Console.app, `log stream --predicate
    /// 'subsystem == "io.finconn.sample"'`). The lines hold no secret (see `SampleLog`), so they
    /// are logged as public.
    static func unified(subsystem: String = "io.finconn.sample") -> SampleLog {
        let app = os.Logger(subsystem: subsystem, category: appCategory)
        let core = os.Logger(subsystem: subsystem, category: coreCategory)
        return SampleLog { category, level, message in
            let type: OSLogType
            switch level {
            case .error: type = .error
            case .warn: type = .default
            case .info: type = .info
            case .debug, .trace: type = .debug
            }
            let logger = category == SampleLog.coreCategory ? core : app
            logger.log(level: type, "\(message, privacy: .public)")
        }
    }
}
#endif
