import ArgumentParser

@main
struct IOC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ioc",
        abstract: "IOC — the backend of an Intelligent Operations Center: MQTT ingest, PostgreSQL storage, alerts, dashboards.",
        subcommands: [Serve.self, Migrate.self, Import.self, ImportRules.self, ImportPaging.self, Token.self, Gateway.self, Simulate.self, Bench.self]
    )
}
