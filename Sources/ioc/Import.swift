import ArgumentParser
import Foundation
import IOCAlerting
import IOCCore
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
            let audit = AuditLog(client: client, logger: logger)
            for (file, registry) in zip(files, registries) {
                let summary = try await importer.importRegistry(registry, audit: audit, actor: AuditLog.commandLineActor, key: file)
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
                let after = String(decoding: try JSONEncoder().encode(["rules": rules]), as: UTF8.self)
                try await AuditLog(client: client, logger: logger).record(
                    actor: AuditLog.commandLineActor, action: "import", entity: "rules", key: file, before: nil, after: after)
                print("import-rules: \(file): \(created) created, \(updated) replaced")
            }
        }
    }
}

struct ImportPaging: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-paging",
        abstract: "Load contacts, on-call rotas and escalation policies from a JSON file ({\"contacts\": [...], \"rotas\": [...], \"escalation_policies\": [...]}, as deploy/sample/paging.json). Idempotent by name.",
        discussion: "The whole file is validated first (every rota member and step target must exist); a file with one mistake changes nothing and says where it is."
    )

    @Argument(help: "Paging configuration files (.json).")
    var files: [String]

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var log: LogOptions

    func run() async throws {
        _ = bootstrapLogging
        let logger = try log.makeLogger("ioc.import-paging")
        var configurations: [PagingConfiguration] = []
        var texts: [String] = []
        for file in files {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                throw ValidationError("cannot read \(file): \(error.localizedDescription)")
            }
            let configuration: PagingConfiguration
            do { configuration = try JSONDecoder().decode(PagingConfiguration.self, from: data) } catch {
                throw ValidationError("\(file) is not a paging configuration: \(error)")
            }
            if let problem = configuration.problems.first {
                throw ValidationError("\(file): \(problem.field): \(problem.message)")
            }
            configurations.append(configuration)
            texts.append(String(decoding: data, as: UTF8.self))
        }
        let files = self.files, loaded = configurations, imported = texts
        try await withDatabase(database, logger: logger) { client in
            let store = PagingStore(client: client, logger: logger)
            for ((file, configuration), text) in zip(zip(files, loaded), imported) {
                let count = try await store.importConfiguration(configuration)
                try await AuditLog(client: client, logger: logger).record(
                    actor: AuditLog.commandLineActor, action: "import", entity: "paging", key: file, before: nil, after: text)
                print("import-paging: \(file): \(configuration.contacts.count) contacts, \(configuration.rotas.count) rotas, \(configuration.escalationPolicies.count) escalation policies (\(count) stored)")
            }
        }
    }
}
