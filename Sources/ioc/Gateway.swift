import ArgumentParser
import Foundation
import IOCCore
import IOCIngest
import IOCStorage
import Logging
import PostgresNIO

struct Gateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register gateways and manage their broker accounts (Mosquitto's dynamic-security plugin).",
        discussion: """
            A gateway's MQTT user name is its code; it may publish only under ioc/v1/CODE/#. Its password is shown once, by add and \
            rotate; the IOC does not store it. The broker is reached as the IOC's own account (--mqtt-url / IOC_MQTT_URL), which \
            may administer dynamic security. Every change is in the audit log.
            """,
        subcommands: [Add.self, List.self, Disable.self, Enable.self, Rotate.self]
    )

    /// A failure that is not a usage error: printed without the usage text.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    struct BrokerOptions: ParsableArguments {
        @Option(name: .customLong("mqtt-url"), help: "The IOC's broker account mqtt://ioc:password@host:port (env IOC_MQTT_URL; default mqtt://127.0.0.1:1883).")
        var mqttURL: String?
        @Option(name: .customLong("broker-timeout"), help: "Seconds to wait for the broker's answer (default 10).")
        var timeout: Int = 10

        func accounts() throws -> GatewayAccounts {
            guard timeout > 0 else { throw ValidationError("--broker-timeout must be at least 1 second") }
            let endpoint = try MQTTEndpoint(url: setting(mqttURL, env: "IOC_MQTT_URL", default: "mqtt://127.0.0.1:1883"))
            return GatewayAccounts(transport: DynamicSecurityClient(endpoint: endpoint, timeout: .seconds(timeout)))
        }
    }

    struct Common: ParsableArguments {
        @Flag(help: "Print JSON (with the password, where there is one) instead of text.")
        var json = false
        @OptionGroup var broker: BrokerOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var log: LogOptions

        func run<T: Sendable>(_ body: @Sendable @escaping (GatewayAdministration) async throws -> T) async throws -> T {
            _ = bootstrapLogging
            let logger = try log.makeLogger("ioc.gateway")
            let accounts = try broker.accounts()
            do {
                return try await withDatabase(database, logger: logger) { client in
                    try await body(GatewayAdministration(
                        store: GatewayStore(client: client, logger: logger), accounts: accounts,
                        audit: AuditLog(client: client, logger: logger), logger: logger))
                }
            } catch let error as GatewayValidationError {
                throw ValidationError(error.message)
            } catch let error as GatewayAccountError {
                throw Failure(description: error.message)
            } catch let error as GatewayNotFoundError {
                throw Failure(description: "\(error); ioc gateway list shows them")
            }
        }

        func emit(_ object: [String: Any], text: String) {
            if json {
                let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(text)
            }
        }
    }

    static func object(_ gateway: GatewayRecord, broker: BrokerAccountState, password: String? = nil) -> [String: Any] {
        var object: [String: Any] = [
            "code": gateway.code, "name": gateway.name, "unit": gateway.unit ?? NSNull(), "enabled": gateway.enabled,
            "status": gateway.status, "last_seen_at": gateway.lastSeenAt?.rfc3339 ?? NSNull(), "broker_account": broker.rawValue,
        ]
        if let password { object["password"] = password }
        return object
    }

    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a gateway (or adopt one a registry import created) and create its broker account; prints its password once (alone on standard output: PASS=$(ioc gateway add …)).")

        @Argument(help: "The gateway code, its MQTT user name: letters, digits, '.', '_', '-'.")
        var code: String
        @Option(help: "The administrative unit code it belongs to.")
        var unit: String
        @Option(help: "A name people recognise.")
        var name: String?
        @OptionGroup var common: Common

        func run() async throws {
            let request = GatewayRequest(code: code, unit: unit, name: name)
            do { try request.validate() } catch { throw ValidationError(error.message) }
            let result = try await common.run { try await $0.add(request, actor: AuditLog.commandLineActor) }
            if !common.json {
                Gateway.note("gateway: \(result.gateway.code) registered in \(result.gateway.unit ?? "-"), broker account \(result.broker.rawValue); the password is shown only now, keep it safe")
            }
            common.emit(Gateway.object(result.gateway, broker: result.broker, password: result.password), text: result.password)
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a gateway a new broker password and print it once; the old one stops working at once (a connected gateway is disconnected).")

        @Argument(help: "The gateway code.")
        var code: String
        @OptionGroup var common: Common

        func run() async throws {
            let code = self.code
            let result = try await common.run { try await $0.rotate(code: code, actor: AuditLog.commandLineActor) }
            if !common.json { Gateway.note("gateway: \(code) has a new password; the old one no longer works; it is shown only now") }
            common.emit(Gateway.object(result.gateway, broker: result.broker, password: result.password), text: result.password)
        }
    }

    static func setEnabled(_ code: String, _ enabled: Bool, _ common: Common) async throws {
        let result = try await common.run { try await $0.setEnabled(code: code, enabled, actor: AuditLog.commandLineActor) }
        common.emit(Gateway.object(result.gateway, broker: result.broker),
                    text: "gateway: \(code) \(enabled ? "enabled" : "disabled") (broker account \(result.broker.rawValue))")
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a gateway: the broker disconnects it and refuses its connections; ingest ignores its messages.")

        @Argument(help: "The gateway code.")
        var code: String
        @OptionGroup var common: Common

        func run() async throws { try await Gateway.setEnabled(code, false, common) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled gateway; it may connect again with its password.")

        @Argument(help: "The gateway code.")
        var code: String
        @OptionGroup var common: Common

        func run() async throws { try await Gateway.setEnabled(code, true, common) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the gateways with their broker accounts (active, disabled, missing, or unknown when the broker does not answer).")

        @OptionGroup var common: Common

        func run() async throws {
            let listed = try await common.run { try await $0.list() }
            if common.json {
                common.emit(["gateways": listed.map { Gateway.object($0.gateway, broker: $0.broker) }], text: "")
                return
            }
            let rows = [["CODE", "NAME", "UNIT", "ENABLED", "BROKER", "STATUS", "LAST SEEN"]] + listed.map { item in
                let g = item.gateway
                return [g.code, g.name.isEmpty ? "-" : g.name, g.unit ?? "-", g.enabled ? "yes" : "no", item.broker.rawValue, g.status, g.lastSeenAt?.rfc3339 ?? "-"]
            }
            printTable(rows)
        }
    }
}
