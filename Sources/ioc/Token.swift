import ArgumentParser
import Foundation
import IOCCore
import IOCStorage

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API tokens.",
        discussion: "A token is shown once, when it is created; only its SHA-256 is stored. Roles: display (wall screens), viewer (read), operator (viewer + acknowledge, resolve, assign, comment, silence), admin (everything).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it (on standard output, alone on its line: TOKEN=$(ioc token create …)). It is not shown again.")

        @Option(help: "A name people recognise, unique: letters, digits, '.', '-', '_' (such as wall-room-1).")
        var name: String
        @Option(help: "display, viewer, operator or admin.")
        var role: String
        @Option(help: "An administrative unit code: the token sees only that unit's subtree (not for admin tokens, which are province-wide).")
        var unit: String?
        @Option(name: .customLong("expires-days"), help: "Days until the token stops working (default: it does not expire).")
        var expiresDays: Int?

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var log: LogOptions

        func run() async throws {
            _ = bootstrapLogging
            guard let role = Role(rawValue: role) else { throw ValidationError("--role must be one of \(Role.names), not \(self.role)") }
            let request = APITokenRequest(name: name, role: role, unit: unit, expiresDays: expiresDays)
            do { try request.validate() } catch { throw ValidationError(error.message) }
            let logger = try log.makeLogger("ioc.token")
            let (token, secret) = try await withDatabase(database, logger: logger) { client in
                let created = try await APITokenStore(client: client, logger: logger).create(request)
                try await AuditLog(client: client, logger: logger).record(
                    actor: AuditLog.commandLineActor, action: "create", entity: "token", key: created.token.name, before: nil, after: created.token.auditJSON)
                return created
            }
            var note = "token: created \(token.role.rawValue) token \(token.name) (\(token.prefix)…)"
            if let unit = token.unit { note += ", scope \(unit)" }
            if let expires = token.expiresAt { note += ", expires \(expires.rfc3339)" }
            FileHandle.standardError.write(Data((note + "; it is shown only now, keep it safe\n").utf8))
            print(secret)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens (never their secrets).")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var log: LogOptions

        func run() async throws {
            _ = bootstrapLogging
            let logger = try log.makeLogger("ioc.token")
            let tokens = try await withDatabase(database, logger: logger) { client in
                try await APITokenStore(client: client, logger: logger).list()
            }
            let now = Timestamp.now
            let rows = [["NAME", "ROLE", "UNIT", "PREFIX", "CREATED", "EXPIRES", "LAST USED", "STATE"]] + tokens.map { token in
                [token.name, token.role.rawValue, token.unit ?? "-", token.prefix, token.createdAt.rfc3339,
                 token.expiresAt?.rfc3339 ?? "-", token.lastUsedAt?.rfc3339 ?? "-",
                 token.revokedAt != nil ? "revoked" : (token.isValid(at: now) ? "valid" : "expired")]
            }
            printTable(rows)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by name; a running server refuses it within 5 seconds.")

        @Argument(help: "The token's name.")
        var name: String

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var log: LogOptions

        func run() async throws {
            _ = bootstrapLogging
            let logger = try log.makeLogger("ioc.token")
            let name = self.name
            let token = try await withDatabase(database, logger: logger) { client in
                let store = APITokenStore(client: client, logger: logger)
                let before = try await store.get(name: name)
                let token = try await store.revoke(name: name)
                if let token {
                    try await AuditLog(client: client, logger: logger).record(
                        actor: AuditLog.commandLineActor, action: "revoke", entity: "token", key: name, before: before?.auditJSON, after: token.auditJSON)
                }
                return token
            }
            guard let token else { throw ValidationError("there is no token named \(name); ioc token list shows them") }
            print("token: \(token.name) revoked at \(token.revokedAt?.rfc3339 ?? "?")")
        }
    }
}
