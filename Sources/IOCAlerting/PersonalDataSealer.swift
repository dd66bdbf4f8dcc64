import Foundation
import IOCCore
import IOCStorage
import Logging
import PostgresNIO

/// The start-up pass over personal data at rest: seals what rows written before migration 012
/// hold in plaintext (contacts' channels, the outbox's addresses) and seals again, with the
/// current key, what an earlier key (`IOC_DATA_KEY_PREVIOUS`) sealed. SQL never encrypts:
/// everything goes through `DataCipher` here.
public struct PersonalDataSealer: Sendable {
    let client: PostgresClient
    let cipher: DataCipher?
    let logger: Logger
    /// Rows sealed per transaction.
    static let batch = 500

    public init(client: PostgresClient, cipher: DataCipher?, logger: Logger) {
        self.client = client
        self.cipher = cipher
        self.logger = logger
    }

    /// How many rows hold personal data, sealed or not: without a key, IOC must not start when
    /// there are any (it could neither page those contacts nor keep their data sealed).
    public func rowsHoldingPersonalData() async throws -> (contacts: Int, notifications: Int) {
        var contacts = 0, notifications = 0
        for try await n in try await client.query("SELECT count(*) FROM contacts", logger: logger).decode(Int64.self) { contacts = Int(n) }
        for try await n in try await client.query("SELECT count(*) FROM notification_outbox", logger: logger).decode(Int64.self) { notifications = Int(n) }
        return (contacts, notifications)
    }

    /// Seals every plaintext or older-key value; returns how many rows it wrote.
    @discardableResult
    public func sealAll() async throws -> (contacts: Int, notifications: Int) {
        let cipher = try cipher.required()
        let current = "ioc1.\(cipher.keyID).%"
        var contacts = 0
        while true {
            let done = try await client.withTransaction(logger: logger) { connection -> Int in
                // Writers of contacts take the same lock: nothing changes a contact meanwhile.
                try await connection.query("LOCK TABLE contacts, rotas, escalation_policies IN SHARE ROW EXCLUSIVE MODE", logger: logger)
                var query = PostgresQuery(unsafeSQL: PagingStore.select(Contact.self, """
                    WHERE channels_sealed IS NULL OR definition ? 'channels' OR channels_sealed NOT LIKE $1 ORDER BY id LIMIT \(Self.batch)
                    """))
                query.binds.append(current)
                let found: [Contact] = try await PagingStore.entities(connection.query(query, logger: logger), cipher: cipher)
                for contact in found {
                    let id = contact.id ?? 0
                    let form = try contact.storedForm(id: id, cipher: cipher)
                    try await connection.query("""
                        UPDATE contacts SET definition = \(form.definition)::jsonb, channels_sealed = \(form.sealed) WHERE id = \(id)
                        """, logger: logger)
                }
                return found.count
            }
            contacts += done
            if done < Self.batch { break }
        }
        var notifications = 0
        while true {
            let done = try await client.withTransaction(logger: logger) { connection -> Int in
                let rows = try await connection.query("""
                    SELECT id, address, address_sealed FROM notification_outbox
                    WHERE address IS NOT NULL OR address_sealed IS NULL OR address_sealed NOT LIKE \(current)
                    ORDER BY id LIMIT \(Self.batch) FOR UPDATE
                    """, logger: logger)
                var found: [(Int64, String)] = []
                for try await (id, plaintext, sealed) in rows.decode((Int64, String?, String?).self) {
                    let context = Pager.addressContext(outboxID: id)
                    if let plaintext {
                        found.append((id, plaintext))
                    } else if let sealed {
                        found.append((id, try cipher.open(sealed, context: context)))
                    }
                }
                for (id, address) in found {
                    let sealed = try cipher.seal(address, context: Pager.addressContext(outboxID: id))
                    try await connection.query("UPDATE notification_outbox SET address = NULL, address_sealed = \(sealed) WHERE id = \(id)", logger: logger)
                }
                return found.count
            }
            notifications += done
            if done < Self.batch { break }
        }
        if contacts + notifications > 0 {
            logger.notice("personal data sealed with the current key", metadata: [
                "key": "\(cipher.keyID)", "contacts": "\(contacts)", "notifications": "\(notifications)"])
        }
        return (contacts, notifications)
    }
}
