import Foundation
import Hummingbird
import HummingbirdTesting
import IOCAlerting
import IOCAPI
import IOCCore
import IOCStorage
import PostgresNIO
import Prometheus
import Testing

/// The envelope of personal data at rest, as plain values: no database.
@Suite("DataCipher: AES-GCM envelope of personal data")
struct DataCipherTests {
    static let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    static let otherKey = "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA="

    enum Opening: Sendable {
        case sameContext, otherKey, otherRow, otherField, tamperedCiphertext, truncated, notSealed, previousKeyKept
    }

    @Test("a value opens only with its key, unaltered, in its own row and field", arguments: [
        (Opening.sameContext, true),
        (.otherKey, false),
        (.otherRow, false),
        (.otherField, false),
        (.tamperedCiphertext, false),
        (.truncated, false),
        (.notSealed, false),
        (.previousKeyKept, true),
    ])
    func opening(_ how: Opening, opens: Bool) throws {
        let cipher = try DataCipher(key: Self.key)
        let plaintext = #"[{"phone":"+84901234567","type":"sms"}]"#
        let sealed = try cipher.seal(plaintext, context: "contacts/7/channels")
        #expect(sealed.hasPrefix("ioc1.\(cipher.keyID)."))
        #expect(!sealed.contains("84901234567"))
        var opener = cipher, text = sealed, context = "contacts/7/channels"
        switch how {
        case .sameContext: break
        case .otherKey: opener = try DataCipher(key: Self.otherKey)
        case .otherRow: context = "contacts/8/channels"
        case .otherField: context = "notification_outbox/7/address"
        case .tamperedCiphertext:
            var bytes = Data(base64Encoded: String(sealed.split(separator: ".")[2]))!
            bytes[bytes.count / 2] ^= 0x01
            text = "ioc1.\(cipher.keyID).\(bytes.base64EncodedString())"
        case .truncated: text = String(sealed.dropLast(8))
        case .notSealed: text = plaintext
        case .previousKeyKept: opener = try DataCipher(key: Self.otherKey, previous: [Self.key])
        }
        if opens {
            #expect(try opener.open(text, context: context) == plaintext)
        } else {
            #expect(throws: DataCipherError.self) { try opener.open(text, context: context) }
        }
    }

    @Test("each sealing uses a new nonce; older keys are recognised")
    func nonces() throws {
        let cipher = try DataCipher(key: Self.key)
        #expect(try cipher.seal("x", context: "c") != cipher.seal("x", context: "c"))
        let newer = try DataCipher(key: Self.otherKey, previous: [Self.key])
        #expect(newer.keyID != cipher.keyID)
        #expect(newer.isSealedWithOlderKey(try cipher.seal("x", context: "c")))
        #expect(!newer.isSealedWithOlderKey(try newer.seal("x", context: "c")))
    }

    @Test("a key that is not 32 bytes of base64 is refused with how to make one", arguments: ["", "not base64!", "AAEC", Self.key + Self.key])
    func badKeys(_ key: String) {
        #expect(throws: DataCipherError.self) { try DataCipher(key: key) }
        #expect((try? DataCipher.fromEnvironment([DataCipher.keyVariable: key])) == nil)
    }

    @Test("fingerprints are short, keyed and stable")
    func fingerprints() throws {
        let cipher = try DataCipher(key: Self.key)
        #expect(cipher.fingerprint("+84901234567") == cipher.fingerprint("+84901234567"))
        #expect(cipher.fingerprint("+84901234567") != cipher.fingerprint("+84901234568"))
        #expect(cipher.fingerprint("+84901234567") != (try DataCipher(key: Self.otherKey)).fingerprint("+84901234567"))
        #expect(cipher.fingerprint("+84901234567").hasPrefix("redacted:"))
    }
}

/// Contacts' personal data in the real PostgreSQL: sealed at rest, shown to admins only.
@Suite("Personal data of contacts at rest and in answers", .serialized)
struct PersonalDataTests {
    let env: TestEnvironment
    init() throws { env = try TestEnvironment.load() }

    static let phone = "+84901234567"
    static let email = "truc.ban.an@phuyen.example.vn"
    static let chat = "-1001234567890"
    static let hook = "https://hooks.example.vn/ioc/secret-path-41"
    static let hookSecret = "webhook-secret-0123456789"
    static var personal: [String] { [phone, email, chat, hook, hookSecret] }

    /// Every column of every table that could hold a contact's data, as text.
    func rawDump(_ client: PostgresClient) async throws -> String {
        var text = ""
        for table in ["contacts", "notification_outbox", "notification_attempts", "audit_log", "alert_events"] {
            for try await row in try await client.query(PostgresQuery(unsafeSQL: "SELECT t::text FROM \(table) t")).decode(String.self) {
                text += row + "\n"
            }
        }
        return text
    }

    @Test("contacts' phone, e-mail, chat id and webhook are not in PostgreSQL in plaintext; the API gives them to admins; notifications still go out")
    func sealedAtRest() async throws {
        try await env.withFreshDatabase { client, _ in
            _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(testRegistry)
            _ = try await RuleStore(client: client, logger: env.logger).importRules([AlertPipelineTests.floodRule])
            let sensor = try await sensorID(client, station: "T-RIVER-1", metric: "water_level")
            let pipeline = AlertPipeline(client: client, configuration: .init(shards: 1, tickInterval: .milliseconds(50), reloadInterval: .seconds(3600)),
                                         pager: Pager(logger: env.logger, cipher: env.dataCipher), logger: env.logger)
            let writer = ReadingWriter(client: client, configuration: .init(lanes: 1), logger: env.logger) { await pipeline.submit($0.readings) }
            let router = APIServer.makeRouter(
                readiness: ReadinessChecks([]), metrics: PrometheusCollectorRegistry(), access: testAccess(client),
                alerting: AlertingEndpoints(pipeline: pipeline, alerts: AlertStore(client: client, logger: env.logger, cipher: env.dataCipher),
                                            silences: SilenceStore(client: client, logger: env.logger),
                                            paging: PagingStore(client: client, logger: env.logger, cipher: env.dataCipher)))
            let adminToken = try await makeToken(client, .admin, name: "an-admin")
            let viewerToken = try await makeToken(client, .viewer, name: "a-viewer")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pipeline.run() }
                defer { group.cancelAll() }
                try await Application(router: router).test(.router) { raw in
                    let admin = AuthorizedClient(raw, token: adminToken), viewer = AuthorizedClient(raw, token: viewerToken)
                    var response = try await admin.execute(uri: "/api/v1/contacts", method: .post, body: ByteBuffer(string: """
                        {"name":"Trực ban An","channels":[{"type":"sms","phone":"\(Self.phone)"},{"type":"email","address":"\(Self.email)"},
                         {"type":"telegram","chat_id":"\(Self.chat)"},{"type":"webhook","url":"\(Self.hook)","secret":"\(Self.hookSecret)"}]}
                        """))
                    #expect(response.status == .created, "\(String(buffer: response.body))")
                    let id = try #require((try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])?["id"] as? Int)
                    response = try await admin.execute(uri: "/api/v1/contacts/\(id)", method: .put, body: ByteBuffer(string: """
                        {"name":"Trực ban An","language":"en","channels":[{"type":"sms","phone":"\(Self.phone)"},{"type":"email","address":"\(Self.email)"},
                         {"type":"telegram","chat_id":"\(Self.chat)"},{"type":"webhook","url":"\(Self.hook)","secret":"\(Self.hookSecret)"}]}
                        """))
                    #expect(response.status == .ok, "\(String(buffer: response.body))")
                    response = try await admin.execute(uri: "/api/v1/escalation-policies", method: .post, body: ByteBuffer(string: """
                        {"name":"Thủy văn","match":{"domains":["hydrology"]},"steps":[{"after_minutes":0,"targets":[{"contact":"Trực ban An"}]}]}
                        """))
                    #expect(response.status == .created, "\(String(buffer: response.body))")

                    // An alert pages the contact: four notifications, their addresses sealed too.
                    await writer.writeWithRetryForTesting([Reading(sensorID: sensor, time: Timestamp(seconds: Date().timeIntervalSince1970 - 5), value: 3.0)])
                    #expect(try await eventually { try await count(client, "SELECT count(*) FROM notification_outbox") == 4 })

                    // Nothing personal in any table in plaintext, even as a substring.
                    let dump = try await rawDump(client)
                    for value in Self.personal { #expect(!dump.contains(value), "\(value) is in PostgreSQL in plaintext") }
                    #expect(dump.contains("Trực ban An"), "the dump did read the tables")
                    #expect(try await count(client, "SELECT count(*) FROM contacts WHERE channels_sealed LIKE 'ioc1.%' AND NOT definition ? 'channels'") == 1)
                    #expect(try await count(client, "SELECT count(*) FROM notification_outbox WHERE address IS NULL AND address_sealed LIKE 'ioc1.%'") == 4)
                    // The audit log shows that a value is there, never the value.
                    #expect(dump.contains("redacted:"))

                    // Admins read them back; nobody else sees contacts or where notifications went.
                    response = try await admin.execute(uri: "/api/v1/contacts/\(id)", method: .get)
                    let body = String(buffer: response.body)
                    for value in Self.personal { #expect(body.contains(value.replacingOccurrences(of: "/", with: "\\/")) || body.contains(value), "\(value) not returned to the admin") }
                    #expect(try await viewer.execute(uri: "/api/v1/contacts/\(id)", method: .get).status == .forbidden)
                    #expect(try await viewer.execute(uri: "/api/v1/contacts", method: .get).status == .forbidden)
                    let alertID = try await count(client, "SELECT id FROM alerts LIMIT 1")
                    let forAdmin = String(buffer: try await admin.execute(uri: "/api/v1/alerts/\(alertID)", method: .get).body)
                    let forViewer = String(buffer: try await viewer.execute(uri: "/api/v1/alerts/\(alertID)", method: .get).body)
                    #expect(forAdmin.contains(Self.phone) && forAdmin.contains(Self.email) && forAdmin.contains(Self.chat))
                    #expect(forViewer.contains("\"notifications\"") && forViewer.contains("Trực ban An"))
                    for value in Self.personal { #expect(!forViewer.contains(value), "\(value) shown to a viewer") }
                    let audit = String(buffer: try await admin.execute(uri: "/api/v1/audit?entity=contact", method: .get).body)
                    for value in Self.personal { #expect(!audit.contains(value), "\(value) in the audit log") }
                }
            }
            // The pager reads the contacts back through the cipher: the right channels were paged.
            #expect(try await count(client, "SELECT count(DISTINCT channel) FROM notification_outbox WHERE contact = 'Trực ban An'") == 4)
        }
    }

    @Test("without the key nothing personal is read or written; another key does not open it")
    func withoutKey() async throws {
        try await env.withFreshDatabase { client, _ in
            let contact = Contact(name: "Bình", channels: [.sms(phone: Self.phone)])
            let keyless = PagingStore(client: client, logger: env.logger)
            await #expect(throws: DataCipherError.missingKey) { _ = try await keyless.save(contact) }
            #expect(try await count(client, "SELECT count(*) FROM contacts") == 0)
            // Plaintext cannot get in by SQL either: the constraint of migration 012.
            await #expect(throws: PSQLError.self) {
                try await client.query(#"INSERT INTO contacts (name, definition) VALUES ('x', '{"name":"x","channels":[]}')"#)
            }
            _ = try await PagingStore(client: client, logger: env.logger, cipher: env.dataCipher).save(contact)
            await #expect(throws: DataCipherError.missingKey) { _ = try await keyless.list(Contact.self) }
            let other = PagingStore(client: client, logger: env.logger, cipher: try DataCipher(key: DataCipher.generateKey()))
            await #expect(throws: DataCipherError.self) { _ = try await other.list(Contact.self) }
            #expect(try await PersonalDataSealer(client: client, cipher: nil, logger: env.logger).rowsHoldingPersonalData().contacts == 1)
        }
    }

    @Test("rows from before migration 012 are sealed at start-up; rows of an earlier key are sealed again with the current one")
    func startUpPass() async throws {
        try await env.withFreshDatabase { client, _ in
            // As an older IOC wrote them: plaintext, without the constraints (they are NOT VALID: old rows stay until sealed).
            try await client.query("ALTER TABLE contacts DROP CONSTRAINT contacts_channels_sealed")
            try await client.query("ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_address_sealed")
            try await client.query("""
                INSERT INTO contacts (name, definition) VALUES ('Cũ', \(#"{"name":"Cũ","channels":[{"type":"sms","phone":"\#(Self.phone)"}]}"#)::jsonb)
                """)
            try await client.query("""
                INSERT INTO notification_outbox (kind, contact, channel, address, subject, body, payload, status)
                VALUES ('fired', 'Cũ', 'sms', \(Self.phone), 's', 't', '{}', 'sent')
                """)
            try await client.query("ALTER TABLE contacts ADD CONSTRAINT contacts_channels_sealed CHECK (channels_sealed IS NOT NULL AND NOT definition ? 'channels') NOT VALID")
            try await client.query("ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_address_sealed CHECK (address IS NULL AND address_sealed IS NOT NULL) NOT VALID")

            let oldKey = DataCipher.generateKey(), newKey = DataCipher.generateKey()
            let old = try DataCipher(key: oldKey)
            var sealed = try await PersonalDataSealer(client: client, cipher: old, logger: env.logger).sealAll()
            #expect(sealed.contacts == 1 && sealed.notifications == 1)
            #expect(try await !rawDump(client).contains(Self.phone))
            sealed = try await PersonalDataSealer(client: client, cipher: old, logger: env.logger).sealAll()
            #expect(sealed.contacts == 0 && sealed.notifications == 0, "nothing left to seal")

            // Key rotation: the new key, with the old one as previous.
            let rotated = try DataCipher(key: newKey, previous: [DataCipherTests.key, oldKey])
            sealed = try await PersonalDataSealer(client: client, cipher: rotated, logger: env.logger).sealAll()
            #expect(sealed.contacts == 1 && sealed.notifications == 1)
            let current = try DataCipher(key: newKey)
            let contacts = try await PagingStore(client: client, logger: env.logger, cipher: current).list(Contact.self)
            #expect(contacts.map(\.channels) == [[.sms(phone: Self.phone)]])
            for try await (id, sealed) in try await client.query("SELECT id, address_sealed FROM notification_outbox").decode((Int64, String).self) {
                #expect(try current.open(sealed, context: Pager.addressContext(outboxID: id)) == Self.phone)
            }
        }
    }
}
