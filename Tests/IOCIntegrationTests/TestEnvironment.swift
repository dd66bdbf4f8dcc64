import Foundation
import Hummingbird
import HummingbirdTesting
import IOCAlerting
import IOCAPI
import IOCCore
import IOCIngest
import IOCStorage
import Logging
import NIOCore
import PostgresNIO
import Testing

/// The real PostgreSQL and Mosquitto that scripts/test.sh starts, described by environment variables.
struct TestEnvironment {
    let databaseURL: String
    let mqttURL: String
    let credentials: [String: String]
    /// The key of contacts' personal data (IOC_TEST_DATA_KEY).
    let dataCipher: DataCipher

    static func load() throws -> TestEnvironment {
        let env = ProcessInfo.processInfo.environment
        guard let db = env["IOC_TEST_DATABASE_URL"], let mqtt = env["IOC_TEST_MQTT_URL"], let credentialsPath = env["IOC_TEST_MQTT_CREDENTIALS"],
              let dataKey = env["IOC_TEST_DATA_KEY"] else {
            throw TestSetupError("IOC_TEST_DATABASE_URL, IOC_TEST_MQTT_URL, IOC_TEST_MQTT_CREDENTIALS and IOC_TEST_DATA_KEY are not set: run the tests with scripts/test.sh, which starts PostgreSQL and Mosquitto")
        }
        let credentials = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: credentialsPath)))
        return TestEnvironment(databaseURL: db, mqttURL: mqtt, credentials: credentials, dataCipher: try DataCipher(key: dataKey))
    }

    /// Puts a pending notification in the outbox as the pager does: its address sealed for its row.
    func queueNotification(_ client: PostgresClient, contact: String, channel: String, address: String, payload: String = #"{"alert_id": 7}"#) async throws {
        var id: Int64 = 0
        for try await next in try await client.query("SELECT nextval(pg_get_serial_sequence('notification_outbox', 'id'))").decode(Int64.self) { id = next }
        let sealed = try dataCipher.seal(address, context: Pager.addressContext(outboxID: id))
        try await client.query("""
            INSERT INTO notification_outbox (id, kind, contact, channel, address_sealed, subject, body, payload)
            VALUES (\(id), 'fired', \(contact), \(channel), \(sealed), 'subject', 'text', \(payload)::jsonb)
            """)
    }

    var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }

    /// Runs `body` against a new, migrated database that is dropped afterwards.
    func withFreshDatabase<T: Sendable>(_ body: @Sendable (PostgresClient, String) async throws -> T) async throws -> T {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let admin = PostgresClient(configuration: try DatabaseConfiguration.make(url: databaseURL, maximumConnections: 2), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { await admin.run(); return nil }
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
            var components = URLComponents(string: databaseURL)!
            components.path = "/\(name)"
            let url = components.string!
            let client = PostgresClient(configuration: try DatabaseConfiguration.make(url: url, maximumConnections: 8), backgroundLogger: logger)
            let result: Result<T, any Error> = await withThrowingTaskGroup(of: T?.self) { inner in
                inner.addTask { await client.run(); return nil }
                do {
                    try await Migrator(client: client, logger: logger).migrate(try Migrator.bundled())
                    try await PartitionMaintenance(client: client, retentionDays: 400, logger: logger).runOnce()
                    let value = try await body(client, url)
                    inner.cancelAll()
                    return .success(value)
                } catch {
                    inner.cancelAll()
                    return .failure(error)
                }
            }
            _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
            group.cancelAll()
            return try result.get()
        }
    }

    func endpoint(gateway: String) throws -> MQTTEndpoint {
        let base = try MQTTEndpoint(url: mqttURL)
        guard let password = credentials[gateway] else { throw TestSetupError("no broker password for \(gateway) in the test credentials") }
        return MQTTEndpoint(host: base.host, port: base.port, username: gateway, password: password)
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A small registry: unit T, gateways GW-T1/GW-T2, stations with a water level (m) and rain (mm).
let testRegistry: RegistryFile = {
    var r = RegistryFile()
    r.units = [.init(code: "T", name: "Tỉnh Thử", level: "province", parent: nil), .init(code: "T-A", name: "Huyện A", level: "district", parent: "T")]
    r.gateways = [.init(code: "GW-T1", name: "Gateway 1", unit: "T-A"), .init(code: "GW-T2", name: "Gateway 2", unit: "T")]
    r.stations = [
        .init(code: "T-RIVER-1", name: "Trạm sông 1", unit: "T-A", domain: "hydrology", gateway: "GW-T1", lat: 13.1, lon: 109.2,
              attributes: .object(["alarm_levels": .object(["I": .number(1.7), "II": .number(2.7), "III": .number(3.7)])]),
              sensors: [.init(metric: "water_level", unit: "m", min: -5, max: 20), .init(metric: "rain", unit: "mm", min: 0, max: 500)]),
        .init(code: "T-RIVER-2", name: "Trạm sông 2", unit: "T", domain: "hydrology", gateway: "GW-T2", lat: 13.2, lon: 109.1, attributes: nil,
              sensors: [.init(metric: "water_level", unit: "m", min: -5, max: 20)]),
    ]
    return r
}()

func count(_ client: PostgresClient, _ sql: String) async throws -> Int {
    let rows = try await client.query(PostgresQuery(unsafeSQL: sql))
    for try await n in rows.decode(Int64.self) { return Int(n) }
    return 0
}

func sensorID(_ client: PostgresClient, station: String, metric: String) async throws -> Int32 {
    let rows = try await client.query("SELECT se.id FROM sensors se JOIN stations s ON s.id = se.station_id WHERE s.code = \(station) AND se.metric = \(metric)")
    for try await id in rows.decode(Int32.self) { return id }
    throw TestSetupError("no sensor \(station)/\(metric)")
}

/// Polls until `condition` holds or the time is up; returns whether it held.
func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// The access control of a test router over `client`'s database.
func testAccess(_ client: PostgresClient, metricsOpen: Bool = true) -> AccessControl {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    return AccessControl(authenticator: TokenAuthenticator(store: APITokenStore(client: client, logger: logger), logger: logger), metricsOpen: metricsOpen,
                         audit: AuditLog(client: client, logger: logger))
}

/// Creates a token in `client`'s database and returns its secret.
func makeToken(_ client: PostgresClient, _ role: Role = .admin, name: String? = nil, unit: String? = nil, expiresDays: Int? = nil) async throws -> String {
    let store = APITokenStore(client: client, logger: Logger(label: "test"))
    return try await store.create(APITokenRequest(name: name ?? "test-\(role.rawValue)-\(UInt32.random(in: 0 ... .max))", role: role,
                                                  unit: unit, expiresDays: expiresDays)).secret
}

/// A test client that sends `Authorization: Bearer token` with every request that has none.
struct AuthorizedClient: TestClientProtocol {
    let base: any TestClientProtocol
    let token: String?

    init(_ base: any TestClientProtocol, token: String?) {
        self.base = base
        self.token = token
    }

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if let token, headers[.authorization] == nil { headers[.authorization] = "Bearer \(token)" }
        return try await base.executeRequest(uri: uri, method: method, headers: headers, body: body)
    }

    var port: Int? { base.port }
}
