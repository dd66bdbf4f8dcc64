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

struct ImportRules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-rules",
        abstract: "Load alert rules from a JSON rule set ({\"rules\": [...]}, as deploy/sample/rules.json). Idempotent: a rule with the name of a stored one replaces it.",
        discussion: "Every rule is validated first; a set with one bad rule changes nothing and says which rule and field are wrong."
    )

    @Argument(help: "Rule set files (.json).")
    var files: [String]

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var log: LogOptions

    func run() async throws {
        _ = bootstrapLogging
        let logger = try log.makeLogger("ioc.import-rules")
        let sets = try files.map { try RuleStore.loadRuleSet(path: $0) }
        let files = self.files
        try await withDatabase(database, logger: logger) { client in
            let store = RuleStore(client: client, logger: logger)
            for (file, rules) in zip(files, sets) {
                let (created, updated) = try await store.importRules(rules)
                print("import-rules: \(file): \(created) created, \(updated) replaced")
            }
        }
    }
}
