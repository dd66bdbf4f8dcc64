import Foundation
import IOCIngest
import Synchronization

/// One gateway's MQTT connection for the simulator and the benchmark: QoS 1 publishes with a
/// bound on unacknowledged messages, and a wait for every acknowledgement at the end.
final class GatewayPublisher: Sendable {
    let gateway: String
    let client: MQTTClient
    private let outstanding: AtomicCounter
    private let acknowledged: AtomicCounter
    let maxOutstanding: Int

    init(gateway: String, endpoint: MQTTEndpoint, clientID: String, maxOutstanding: Int = 1000) throws {
        self.gateway = gateway
        self.maxOutstanding = maxOutstanding
        let outstanding = AtomicCounter()
        let acknowledged = AtomicCounter()
        self.outstanding = outstanding
        self.acknowledged = acknowledged
        client = try MQTTClient(
            endpoint: endpoint,
            // A persistent session, so QoS 1 messages in flight are resent after a broker restart.
            options: .init(clientID: clientID, cleanSession: false, maxInflight: UInt32(maxOutstanding),
                           will: (topic: "ioc/v1/\(gateway)/status", payload: "offline")),
            onConnect: { rc in
                if rc != 0 {
                    FileHandle.standardError.write(Data("simulate: broker refused gateway \(gateway): \(MQTTClient.describeConnack(rc))\n".utf8))
                }
            },
            onPublish: { _ in
                outstanding.subtract(1)
                acknowledged.add(1)
            }
        )
    }

    var isConnected: Bool { client.isConnected }
    var acknowledgedCount: Int { acknowledged.value }
    var outstandingCount: Int { outstanding.value }

    func start() throws { try client.start() }

    func waitUntilConnected(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !client.isConnected {
            if ContinuousClock.now > deadline {
                throw IngestError("gateway \(gateway) could not connect to \(client.endpoint) within \(timeout); check the credentials file and the broker")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Publishes with QoS 1, waiting first while too many messages are unacknowledged.
    func publish(topic: String, payload: Data, retain: Bool = false) async throws {
        while outstanding.value >= maxOutstanding {
            try await Task.sleep(for: .milliseconds(1))
        }
        outstanding.add(1)
        do {
            try client.publish(topic: topic, payload: payload, qos: 1, retain: retain)
        } catch {
            outstanding.subtract(1)
            throw error
        }
    }

    /// Waits until the broker acknowledged everything published.
    func drain(timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + timeout
        while outstanding.value > 0 {
            if ContinuousClock.now > deadline {
                throw IngestError("gateway \(gateway): \(outstanding.value) messages still unacknowledged after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func stop() async { await client.stopInBackground() }

    /// Drops the connection as a network failure would, after everything published so far was
    /// acknowledged: the broker publishes the gateway's will (`offline`). A new publisher with the
    /// same client id brings the gateway back.
    func dropConnection() async throws {
        try await drain()
        await client.abortInBackground()
    }
}

/// Reads `{"GW-CODE": "password", …}`.
func loadCredentials(_ path: String?) throws -> [String: String] {
    guard let path else { return [:] }
    do {
        return try JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
        throw IngestError("cannot read gateway credentials from \(path): expected a JSON object of gateway code to password (\(error.localizedDescription))")
    }
}
