import Foundation
import Hummingbird
import HummingbirdTesting
import IOCAlerting
import IOCAPI
import IOCCore
import IOCStorage
import Logging
import PostgresNIO
import Prometheus
import Testing

/// The audit log through the router and against a real PostgreSQL: who changed what, before and
/// after; admins read it; nobody changes it.
@Suite("Audit log", .serialized)
struct AuditTests {
    let env: TestEnvironment

    init() throws { env = try TestEnvironment.load() }

    func entries(_ http: any TestClientProtocol, _ query: String) async throws -> (entries: [[String: Any]], nextBefore: Int?) {
        let response = try await http.execute(uri: "/api/v1/audit?\(query)", method: .get)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
        return (try #require(object["entries"] as? [[String: Any]]), object["next_before"] as? Int)
    }

    @Test("changes to rules, silences, contacts and tokens and operators' actions on alerts are recorded with who, before and after; admins page through them")
    func recorded() async throws {
        try await env.withFreshDatabase { client, _ in
            let logger = env.logger
            _ = try await RegistryImporter(client: client, logger: logger).importRegistry(testRegistry)
            let pipeline = AlertPipeline(client: client, configuration: .init(shards: 1, tickInterval: .seconds(1), reloadInterval: .seconds(3600)),
                                         pager: Pager(logger: logger), logger: logger)
            let router = APIServer.makeRouter(
                readiness: ReadinessChecks([]), metrics: PrometheusCollectorRegistry(), access: testAccess(client),
                rules: RuleStore(client: client, logger: logger),
                alerting: AlertingEndpoints(pipeline: pipeline, alerts: AlertStore(client: client, logger: logger),
                                            silences: SilenceStore(client: client, logger: logger), paging: PagingStore(client: client, logger: logger)))
            let adminToken = try await makeToken(client, .admin, name: "an-admin")
            let operatorToken = try await makeToken(client, .operator, name: "binh-operator")
            let viewerToken = try await makeToken(client, .viewer, name: "viewer")
            let alertRows = try await client.query("""
                INSERT INTO alerts (rule_id, rule_name, subject, subject_key, station_code, station_name, metric, unit, domain,
                    unit_path, state, severity, level, value, opened_at, fired_at)
                VALUES (NULL, 'Báo động lũ', 'station', 'T-RIVER-1', 'T-RIVER-1', 'Trạm sông 1', 'water_level', 'm',
                    'hydrology', '{T-A,T}', 'firing', 'warning', 'II', 3.0, now(), now())
                RETURNING id
                """)
            var inserted: Int64 = 0
            for try await id in alertRows.decode(Int64.self) { inserted = id }
            let alertID = inserted

            try await Application(router: router).test(.router) { raw in
                let admin = AuthorizedClient(raw, token: adminToken)
                let operatorClient = AuthorizedClient(raw, token: operatorToken)
                let rule = try String(contentsOf: URL(fileURLWithPath: repoPath("deploy/sample/rules.json")), encoding: .utf8)
                let first = try #require(((try JSONSerialization.jsonObject(with: Data(rule.utf8)) as? [String: Any])?["rules"] as? [Any])?.first)
                let body = String(decoding: try JSONSerialization.data(withJSONObject: first), as: UTF8.self)
                var response = try await admin.execute(uri: "/api/v1/rules", method: .post, body: ByteBuffer(string: body))
                #expect(response.status == .created)
                let ruleID = try #require((try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])?["id"] as? Int)
                #expect(try await admin.execute(uri: "/api/v1/rules/\(ruleID)/disable", method: .post).status == .ok)
                #expect(try await admin.execute(uri: "/api/v1/rules/\(ruleID)", method: .delete).status == .noContent)
                response = try await operatorClient.execute(uri: "/api/v1/alerts/\(alertID)/comments", method: .post,
                                                            body: ByteBuffer(string: #"{"by":"Trần Thị Bình","text":"đã gọi trạm"}"#))
                #expect(response.status == .created)
                response = try await operatorClient.execute(uri: "/api/v1/alerts/\(alertID)/assign", method: .post,
                                                            body: ByteBuffer(string: #"{"by":"Trần Thị Bình","assignee":"Lê Minh Châu"}"#))
                #expect(response.status == .ok)
                response = try await operatorClient.execute(uri: "/api/v1/silences", method: .post, body: ByteBuffer(string: """
                    {"matchers":{"station":"T-RIVER-1"},"starts_at":"2026-11-27T08:00:00+07:00","ends_at":"2099-11-27T17:00:00+07:00","created_by":"Bình"}
                    """))
                #expect(response.status == .created, "\(String(buffer: response.body))")
                response = try await admin.execute(uri: "/api/v1/contacts", method: .post,
                                                   body: ByteBuffer(string: #"{"name":"Trực ban","channels":[{"type":"email","address":"trucban@example.vn"}]}"#))
                #expect(response.status == .created, "\(String(buffer: response.body))")
                #expect(try await admin.execute(uri: "/api/v1/tokens/viewer", method: .delete).status == .ok)

                // Newest first, with who, what and the entity before and after.
                let all = try await entries(admin, "limit=1000").entries
                #expect(all.map { "\($0["action"]!) \($0["entity"]!)" } == [
                    "revoke token", "create contact", "create silence", "assign alert", "comment alert", "delete rule", "disable rule", "create rule",
                ])
                let assign = try #require(all.first { $0["action"] as? String == "assign" })
                #expect(assign["actor"] as? String == "binh-operator" && assign["key"] as? String == "\(alertID)")
                #expect(assign["before"] is [String: Any] && (assign["before"] as? [String: Any])?["assignee"] == nil, "unassigned before")
                #expect((assign["after"] as? [String: Any])?["assignee"] as? String == "Lê Minh Châu")
                let disable = try #require(all.first { $0["action"] as? String == "disable" })
                #expect((disable["before"] as? [String: Any])?["enabled"] as? Bool == true && (disable["after"] as? [String: Any])?["enabled"] as? Bool == false)
                let deleted = try #require(all.first { $0["action"] as? String == "delete" })
                #expect(deleted["after"] is NSNull && deleted["before"] is [String: Any] && deleted["actor"] as? String == "an-admin")
                let revoke = try #require(all.first)
                #expect((revoke["after"] as? [String: Any])?["revoked_at"] is String && (revoke["before"] as? [String: Any])?["revoked_at"] is NSNull)
                #expect(!String(describing: revoke).contains(viewerToken), "no secret in the audit log")

                // Filters and pages.
                #expect(try await entries(admin, "entity=rule").entries.count == 3)
                #expect(try await entries(admin, "actor=binh-operator").entries.count == 3)
                var page = try await entries(admin, "limit=5")
                #expect(page.entries.count == 5)
                let next = try #require(page.nextBefore)
                page = try await entries(admin, "limit=5&before=\(next)")
                #expect(page.entries.count == 3 && page.nextBefore == nil)
                #expect(try await admin.execute(uri: "/api/v1/audit?limit=0", method: .get).status == .badRequest)
                #expect(try await operatorClient.execute(uri: "/api/v1/audit", method: .get).status == .forbidden)
            }
        }
    }

    @Test("audit_log is append-only: UPDATE, DELETE and TRUNCATE are refused")
    func appendOnly() async throws {
        try await env.withFreshDatabase { client, _ in
            try await AuditLog(client: client, logger: env.logger).record(actor: "t", action: "create", entity: "rule", key: "1", before: nil, after: #"{"a":1}"#)
            for sql in ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
                await #expect(throws: PSQLError.self, "\(sql)") { try await client.query(PostgresQuery(unsafeSQL: sql)) }
            }
            #expect(try await count(client, "SELECT count(*) FROM audit_log WHERE actor = 't'") == 1)
        }
    }

    @Test("a registry import records the units, gateways, stations and sensors it names, before and after")
    func registryImport() async throws {
        try await env.withFreshDatabase { client, _ in
            let importer = RegistryImporter(client: client, logger: env.logger)
            let audit = AuditLog(client: client, logger: env.logger)
            _ = try await importer.importRegistry(testRegistry, audit: audit, actor: "cli:test", key: "registry.json")
            var changed = testRegistry
            changed.stations[0].name = "Trạm sông 1 (mới)"
            changed.stations[0].sensors?.append(.init(metric: "turbidity", unit: "NTU", min: 0, max: 4000))
            _ = try await importer.importRegistry(changed, audit: audit, actor: "cli:test", key: "registry-v2.json")
            let rows = try await client.query("SELECT key, before::text, after::text FROM audit_log WHERE entity = 'registry' ORDER BY id")
            var entries: [(String, String?, String?)] = []
            for try await row in rows.decode((String, String?, String?).self) { entries.append(row) }
            #expect(entries.map(\.0) == ["registry.json", "registry-v2.json"])
            func object(_ text: String?) throws -> [String: [[String: Any]]] {
                guard let object = try JSONSerialization.jsonObject(with: Data((text ?? "").utf8)) as? [String: [[String: Any]]] else {
                    throw TestSetupError("not a registry snapshot: \(text ?? "null")")
                }
                return object
            }
            let first = try object(entries[0].1), created = try object(entries[0].2)
            #expect(first["stations"]?.isEmpty == true && first["units"]?.isEmpty == true, "nothing was there before the first import")
            #expect(created["units"]?.compactMap { $0["code"] as? String } == ["T", "T-A"])
            #expect(created["gateways"]?.compactMap { $0["code"] as? String } == ["GW-T1", "GW-T2"])
            let before = try object(entries[1].1), after = try object(entries[1].2)
            #expect(before["stations"]?.first?["name"] as? String == "Trạm sông 1" && after["stations"]?.first?["name"] as? String == "Trạm sông 1 (mới)")
            let metrics = (after["stations"]?.first?["sensors"] as? [[String: Any]])?.compactMap { $0["metric"] as? String }
            #expect(metrics == ["rain", "turbidity", "water_level"])
        }
    }
}
