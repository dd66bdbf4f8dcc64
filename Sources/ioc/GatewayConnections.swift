import ArgumentParser
import Foundation
import IOCIngest

/// The simulator's MQTT connections, one persistent session per gateway, each of which can be
/// dropped (an outage: the broker publishes the gateway's last will) and opened again.
struct GatewayConnections {
    let base: MQTTEndpoint
    let passwords: [String: String]
    let clientPrefix: String
    private var publishers: [String: GatewayPublisher] = [:]
    private var offline: Set<String> = []
    /// Acknowledgements counted by connections already dropped.
    private var retiredAcknowledged = 0
    private var statusMessages = 0

    init(base: MQTTEndpoint, passwords: [String: String], clientPrefix: String) {
        self.base = base
        self.passwords = passwords
        self.clientPrefix = clientPrefix
    }

    /// Starts connecting `gateway` with its own account.
    mutating func open(_ gateway: String) throws {
        guard let password = passwords[gateway] else {
            throw ValidationError("no password for gateway \(gateway) in the credentials file; gateways publish with their own accounts")
        }
        let endpoint = MQTTEndpoint(host: base.host, port: base.port, username: gateway, password: password)
        let publisher = try GatewayPublisher(gateway: gateway, endpoint: endpoint, clientID: "\(clientPrefix)-\(gateway)")
        try publisher.start()
        publishers[gateway] = publisher
    }

    func waitUntilConnected() async throws {
        for publisher in publishers.values { try await publisher.waitUntilConnected() }
    }

    /// The retained status a gateway announces itself with (its will says `offline`).
    mutating func publishStatus(_ gateway: String, online: Bool) async throws {
        try await publish(gateway: gateway, topic: "ioc/v1/\(gateway)/status", payload: Data((online ? "online" : "offline").utf8), retain: true)
        statusMessages += 1
    }

    func publish(gateway: String, topic: String, payload: Data, retain: Bool = false) async throws {
        guard let publisher = publishers[gateway] else { throw IngestError("gateway \(gateway) has no connection (offline)") }
        try await publisher.publish(topic: topic, payload: payload, retain: retain)
    }

    func isOffline(_ gateway: String) -> Bool { offline.contains(gateway) }

    var offlineGateways: [String] { offline.sorted() }

    /// Drops the gateway's connection without a goodbye, after everything it sent was acknowledged.
    mutating func drop(_ gateway: String) async throws {
        guard let publisher = publishers.removeValue(forKey: gateway) else { return }
        offline.insert(gateway)
        try await publisher.dropConnection()
        retiredAcknowledged += publisher.acknowledgedCount
    }

    /// Connects the gateway again (the same client id resumes its session) and says `online`.
    /// Does not wait for the connection: libmosquitto keeps QoS 1 messages until it is up, and
    /// keeps trying (a broker that is down meanwhile does not end the simulation).
    mutating func reconnect(_ gateway: String) async throws {
        guard offline.contains(gateway) else { return }
        try open(gateway)
        offline.remove(gateway)
        try await publishStatus(gateway, online: true)
    }

    func drainAll() async throws {
        for publisher in publishers.values { try await publisher.drain() }
    }

    func stopAll() async {
        for publisher in publishers.values { await publisher.stop() }
    }

    /// Messages the broker acknowledged, status announcements not counted.
    var acknowledged: Int {
        retiredAcknowledged + publishers.values.reduce(0) { $0 + $1.acknowledgedCount } - statusMessages
    }
}
