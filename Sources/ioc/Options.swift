import ArgumentParser
import Foundation
import IOCStorage
import Logging
import PostgresNIO

/// A value from the flag, else from the environment, else the default.
func setting(_ flag: String?, env: String, default value: String) -> String {
    if let flag, !flag.isEmpty { return flag }
    if let env = ProcessInfo.processInfo.environment[env], !env.isEmpty { return env }
    return value
}

func setting(_ flag: Int?, env: String, default value: Int) throws -> Int {
    if let flag { return flag }
    if let text = ProcessInfo.processInfo.environment[env], !text.isEmpty {
        guard let number = Int(text) else { throw ValidationError("\(env)=\(text) is not a whole number") }
        return number
    }
    return value
}

/// The cipher of personal data at rest from `IOC_DATA_KEY` (and `IOC_DATA_KEY_PREVIOUS`); nil
/// when no key is set.
func dataCipherFromEnvironment() throws -> DataCipher? {
    do { return try DataCipher.fromEnvironment(ProcessInfo.processInfo.environment) } catch {
        throw ValidationError(error.message)
    }
}

struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL postgres://user:password@host:port/db (env IOC_DATABASE_URL; default postgres://ioc@127.0.0.1:5432/ioc).")
    var databaseURL: String?

    var url: String { setting(databaseURL, env: "IOC_DATABASE_URL", default: "postgres://ioc@127.0.0.1:5432/ioc") }

    func makeClient(logger: Logger, maximumConnections: Int = 12) throws -> PostgresClient {
        let configuration = try DatabaseConfiguration.make(url: url, maximumConnections: maximumConnections)
        return PostgresClient(configuration: configuration, backgroundLogger: logger)
    }
}

struct LogOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (env IOC_LOG_LEVEL; default info).")
    var logLevel: String?

    func makeLogger(_ label: String) throws -> Logger {
        let text = setting(logLevel, env: "IOC_LOG_LEVEL", default: "info")
        guard let level = Logger.Level(rawValue: text) else { throw ValidationError("log level \(text) is not one of trace, debug, info, notice, warning, error, critical") }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

/// Bootstraps logging once per process: plain lines on standard error.
let bootstrapLogging: Void = {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .info
        return handler
    }
}()

/// Runs `body` with a running `PostgresClient`, then shuts it down.
func withDatabase<T: Sendable>(_ options: DatabaseOptions, logger: Logger, _ body: @Sendable @escaping (PostgresClient) async throws -> T) async throws -> T {
    let client = try options.makeClient(logger: logger, maximumConnections: 4)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { await client.run(); return nil }
        do {
            let result = try await body(client)
            group.cancelAll()
            return result
        } catch let error as PSQLError {
            group.cancelAll()
            throw StorageError(.database, "PostgreSQL at \(DatabaseConfiguration.redacted(options.url)): \(error.databaseSummary)")
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// Rows as columns padded to their widest cell, two spaces apart; the first row is the header.
func printTable(_ rows: [[String]]) {
    guard let first = rows.first else { return }
    let widths = first.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
    for row in rows {
        print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
            .trimmingCharacters(in: .whitespaces))
    }
}
