import Foundation
import Hummingbird
import HummingbirdTesting
import IOCAPI
import IOCAlerting
import IOCCore
import IOCStorage
import PostgresNIO
import Prometheus
import Testing

@Suite("/api/v1/alerts, silences, contacts, rotas and escalation policies through the router, with a real PostgreSQL", .serialized)
struct AlertsAPITests {
    let env: TestEnvironment

    init() throws { env = try TestEnvironment.load() }

    struct ErrorBody: Decodable {
        struct Detail: Decodable { var code: String; var message: String; var field: String? }
        var error: Detail
    }
    struct AlertList: Decodable { var alerts: [AlertRecord] }
    struct Detail: Decodable { var alert: AlertRecord; var events: [AlertEventRecord] }

    /// The router with a running pipeline; `body` gets the test client and the writer feeding it.
    func withAPI(_ client: PostgresClient, _ body: @Sendable (any TestClientProtocol, ReadingWriter) async throws -> Void) async throws {
        let pipeline = AlertPipeline(client: client, configuration: .init(shards: 2, tickInterval: .milliseconds(50), reloadInterval: .seconds(3600)),
                                     pager: Pager(logger: env.logger, cipher: env.dataCipher), logger: env.logger)
        let writer = ReadingWriter(client: client, configuration: .init(lanes: 1), logger: env.logger) { await pipeline.submit($0.readings) }
        let router = APIServer.makeRouter(
            readiness: ReadinessChecks([]), metrics: PrometheusCollectorRegistry(), access: testAccess(client), rules: RuleStore(client: client, logger: env.logger),
            alerting: AlertingEndpoints(pipeline: pipeline, alerts: AlertStore(client: client, logger: env.logger, cipher: env.dataCipher),
                                        silences: SilenceStore(client: client, logger: env.logger), paging: PagingStore(client: client, logger: env.logger, cipher: env.dataCipher)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pipeline.run() }
            defer { group.cancelAll() }
            let token = try await makeToken(client, .admin)
            try await Application(router: router).test(.router) { http in
                try await body(AuthorizedClient(http, token: token), writer)
            }
        }
    }

    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    /// The API's times are RFC 3339 strings.
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let time = Timestamp(rfc3339: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not RFC 3339: \(text)")
            }
            return Date(timeIntervalSince1970: time.seconds)
        }
        return decoder
    }()

    func error(_ response: TestResponse) throws -> ErrorBody.Detail {
        try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body)).error
    }

    @Test("alerts are listed and filtered, read with their events, acknowledged once, commented, assigned and resolved")
    func alerts() async throws {
        try await env.withFreshDatabase { client, _ in
            _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(testRegistry)
            _ = try await RuleStore(client: client, logger: env.logger).importRules([AlertPipelineTests.floodRule])
            let sensor = try await sensorID(client, station: "T-RIVER-1", metric: "water_level")
            try await withAPI(client) { http, writer in
                let now = Date().timeIntervalSince1970
                await writer.writeWithRetryForTesting([Reading(sensorID: sensor, time: Timestamp(seconds: now - 5), value: 3.0)])
                #expect(try await eventually { try await count(client, "SELECT count(*) FROM alerts WHERE state = 'firing'") == 1 })

                var list = try await http.execute(uri: "/api/v1/alerts?state=open&severity=warning&unit=T&domain=hydrology", method: .get)
                #expect(list.status == .ok)
                let alerts = try Self.decoder.decode(AlertList.self, from: Data(buffer: list.body)).alerts
                #expect(alerts.count == 1 && alerts.first?.stationCode == "T-RIVER-1" && alerts.first?.level == "II")
                let id = try #require(alerts.first?.id)
                list = try await http.execute(uri: "/api/v1/alerts?state=resolved", method: .get)
                #expect(try Self.decoder.decode(AlertList.self, from: Data(buffer: list.body)).alerts.isEmpty)
                list = try await http.execute(uri: "/api/v1/alerts?station=T-RIVER-2", method: .get)
                #expect(try Self.decoder.decode(AlertList.self, from: Data(buffer: list.body)).alerts.isEmpty)
                list = try await http.execute(uri: "/api/v1/alerts?gateway=GW-T1&subject=sensor", method: .get)
                #expect(try Self.decoder.decode(AlertList.self, from: Data(buffer: list.body)).alerts.map(\.id) == [id], "T-RIVER-1 reports through GW-T1")
                list = try await http.execute(uri: "/api/v1/alerts?subject=gateway", method: .get)
                #expect(try Self.decoder.decode(AlertList.self, from: Data(buffer: list.body)).alerts.isEmpty)

                var response = try await http.execute(uri: "/api/v1/alerts/\(id)/acknowledge", method: .post, body: Self.json(#"{"by":"Nguyễn Văn An"}"#))
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""state":"acknowledged""#))
                response = try await http.execute(uri: "/api/v1/alerts/\(id)/acknowledge", method: .post, body: Self.json(#"{"by":"Trần Thị Bình"}"#))
                #expect(response.status == .conflict)
                #expect(try error(response).message.contains("already acknowledged by Nguyễn Văn An"))

                response = try await http.execute(uri: "/api/v1/alerts/\(id)/comments", method: .post, body: Self.json(#"{"by":"An","text":"đã báo UBND xã"}"#))
                #expect(response.status == .created)
                response = try await http.execute(uri: "/api/v1/alerts/\(id)/assign", method: .post, body: Self.json(#"{"by":"An","assignee":"Đội cứu hộ Tuy Hòa"}"#))
                #expect(response.status == .ok && String(buffer: response.body).contains("Đội cứu hộ Tuy Hòa"))
                response = try await http.execute(uri: "/api/v1/alerts/\(id)/resolve", method: .post, body: Self.json(#"{"by":"An","comment":"nước đã rút"}"#))
                #expect(response.status == .ok && String(buffer: response.body).contains(#""state":"resolved""#))
                response = try await http.execute(uri: "/api/v1/alerts/\(id)/resolve", method: .post, body: Self.json(#"{"by":"An"}"#))
                #expect(response.status == .conflict)

                response = try await http.execute(uri: "/api/v1/alerts/\(id)", method: .get)
                let detail = try Self.decoder.decode(Detail.self, from: Data(buffer: response.body))
                #expect(detail.alert.state == "resolved" && detail.alert.resolvedBy == "An" && detail.alert.assignee == "Đội cứu hộ Tuy Hòa")
                #expect(Set(detail.events.map(\.kind)).isSuperset(of: ["transition", "comment", "assigned"]))
                #expect(detail.events.contains { $0.kind == "comment" && $0.message == "đã báo UBND xã" })
            }
        }
    }

    @Test("bad requests name what to fix", arguments: [
        ("/api/v1/alerts?state=burning", "GET", "", "state"),
        ("/api/v1/alerts?severity=huge", "GET", "", "severity"),
        ("/api/v1/alerts?subject=district", "GET", "", "subject"),
        ("/api/v1/alerts?from=yesterday", "GET", "", "from"),
        ("/api/v1/alerts?limit=0", "GET", "", "limit"),
        ("/api/v1/alerts/1/acknowledge", "POST", #"{"by":"  "}"#, "by"),
        ("/api/v1/alerts/1/comments", "POST", #"{"by":"An","text":""}"#, "text"),
        ("/api/v1/silences", "POST", #"{"matchers":{},"starts_at":"2026-11-27T08:00:00+07:00","ends_at":"2026-11-27T09:00:00+07:00","created_by":"An"}"#, "matchers"),
        ("/api/v1/silences", "POST", #"{"matchers":{"station":"X"},"starts_at":"2026-11-27T08:00:00+07:00","ends_at":"2026-11-27T07:00:00+07:00","created_by":"An"}"#, "ends_at"),
        ("/api/v1/silences", "POST", #"{"matchers":{"station":"X"},"starts_at":"tomorrow","ends_at":"2026-11-27T07:00:00+07:00","created_by":"An"}"#, "starts_at"),
        ("/api/v1/contacts", "POST", #"{"name":"An","channels":[{"type":"email","address":"not-an-address"}]}"#, "channels[0].address"),
        ("/api/v1/rotas", "POST", #"{"name":"Ca","members":["Không ai"],"rotation_hours":24,"handoff_time":"08:00","start_date":"2026-01-01"}"#, "rotas[0].members[0]"),
    ])
    func badRequests(uri: String, method: String, body: String, field: String) async throws {
        try await env.withFreshDatabase { client, _ in
            try await withAPI(client) { http, _ in
                let response = try await http.execute(uri: uri, method: method == "GET" ? .get : .post, body: body.isEmpty ? nil : Self.json(body))
                #expect(response.status == .badRequest, "\(String(buffer: response.body))")
                #expect(try error(response).field == field, "\(String(buffer: response.body))")
            }
        }
    }

    @Test("paging configuration through the API: created, listed, on call, refused while referenced, deleted")
    func paging() async throws {
        try await env.withFreshDatabase { client, _ in
            try await withAPI(client) { http, _ in
                var response = try await http.execute(uri: "/api/v1/contacts", method: .post, body: Self.json(#"{"name":"An","channels":[{"type":"sms","phone":"+84905000001"}]}"#))
                #expect(response.status == .created)
                let contactID = try JSONDecoder().decode(Contact.self, from: Data(buffer: response.body)).id
                response = try await http.execute(uri: "/api/v1/rotas", method: .post, body: Self.json(#"{"name":"Ca","members":["An"],"rotation_hours":24,"handoff_time":"08:00","start_date":"2026-01-01"}"#))
                #expect(response.status == .created)
                let rotaID = try #require(try JSONDecoder().decode(Rota.self, from: Data(buffer: response.body)).id)
                response = try await http.execute(uri: "/api/v1/rotas/\(rotaID)/on-call?at=2026-11-27T09:00:00%2B07:00", method: .get)
                #expect(String(buffer: response.body).contains(#""on_call":"An""#))
                response = try await http.execute(uri: "/api/v1/escalation-policies", method: .post, body: Self.json(#"{"name":"Thủy văn","steps":[{"after_minutes":0,"targets":[{"rota":"Ca"}]}]}"#))
                #expect(response.status == .created)
                response = try await http.execute(uri: "/api/v1/contacts", method: .post, body: Self.json(#"{"name":"An","channels":[{"type":"sms","phone":"+84905000002"}]}"#))
                #expect(response.status == .badRequest)
                #expect(try error(response).field == "name")

                response = try await http.execute(uri: "/api/v1/contacts/\(try #require(contactID))", method: .delete)
                #expect(response.status == .badRequest, "the rota still names An")
                response = try await http.execute(uri: "/api/v1/escalation-policies", method: .get)
                #expect(String(buffer: response.body).contains("Thủy văn"))
                response = try await http.execute(uri: "/api/v1/contacts/999", method: .get)
                #expect(response.status == .notFound)
            }
        }
    }
}
