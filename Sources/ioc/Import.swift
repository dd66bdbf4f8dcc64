import ArgumentParser
import IOCStorage

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load a registry (units, gateways, stations, sensors) from JSON or CSV files. Idempotent: entities are matched by code.",
        discussion: "CSV files hold one kind each, told by the header: units (code,name,level,parent), gateways (code,name,unit), stations (code,name,unit,domain,gateway,lat,lon,attributes), sensors (station,metric,unit,min,max). Give them in that order."
    )

    @Argument(help: "Registry files (.json or .csv).")
    var files: [String]

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var log: LogOptions

    func run() async throws {
        _ = bootstrapLogging
        let logger = try log.makeLogger("ioc.import")
        let registries = try files.map { try RegistryFile.load(path: $0) }
        let files = self.files
        try await withDatabase(database, logger: logger) { client in
            let importer = RegistryImporter(client: client, logger: logger)
            for (file, registry) in zip(files, registries) {
                let summary = try await importer.importRegistry(registry)
                print("import: \(file): \(summary)")
            }
        }
    }
}
