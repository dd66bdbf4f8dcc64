import ArgumentParser
import IOCStorage

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the database migrations that are missing, in order, under an advisory lock.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var log: LogOptions

    func run() async throws {
        _ = bootstrapLogging
        let logger = try log.makeLogger("ioc.migrate")
        let applied = try await withDatabase(database, logger: logger) { client in
            let applied = try await Migrator(client: client, logger: logger).migrate(try Migrator.bundled())
            try await PartitionMaintenance(client: client, retentionDays: 400, logger: logger).runOnce()
            return applied
        }
        print(applied.isEmpty ? "migrate: database is up to date" : "migrate: applied \(applied.joined(separator: ", "))")
    }
}
