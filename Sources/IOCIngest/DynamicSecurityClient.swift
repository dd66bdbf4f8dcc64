import Foundation
import IOCCore

/// Administers broker accounts through Mosquitto's dynamic-security plugin: each `execute` opens
/// a connection of its own (its own client id, clean session), subscribes to
/// `$CONTROL/dynamic-security/v1/response`, publishes the commands to
/// `$CONTROL/dynamic-security/v1` and waits for the answers that carry its correlation ids.
/// Administration is rare, so a connection per call is simpler than keeping one alive.
public struct DynamicSecurityClient: DynamicSecurityTransport {
    public static let commandTopic = "$CONTROL/dynamic-security/v1"
    public static let responseTopic = "$CONTROL/dynamic-security/v1/response"

    public let endpoint: MQTTEndpoint
    /// For the whole exchange: connection, commands, answers.
    public let timeout: Duration

    public init(endpoint: MQTTEndpoint, timeout: Duration = .seconds(10)) {
        self.endpoint = endpoint
        self.timeout = timeout
    }

    enum Event: Sendable {
        case connected(Int32)
        case message(MQTTMessage)
    }

    public func execute(_ commands: [DynamicSecurityCommand]) async throws(GatewayAccountError) -> [DynamicSecurityResponse] {
        guard !commands.isEmpty else { return [] }
        let clientID = "ioc-dynsec-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let ids = commands.indices.map { "\(clientID)-\($0)" }
        let (events, sink) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .unbounded)
        let client: MQTTClient
        do {
            client = try MQTTClient(
                endpoint: endpoint, options: .init(clientID: clientID, cleanSession: true),
                onMessage: { sink.yield(.message($0)) },
                onConnect: { sink.yield(.connected($0)) })
            client.subscribeOnConnect([Self.responseTopic])
            try client.start()
        } catch {
            throw GatewayAccountError(.unavailable, "cannot reach the broker at \(endpoint): \(error)")
        }
        let payload = DynamicSecurityCommand.payload(commands, correlationIDs: ids)
        let progress = Progress()
        let result: Result<[DynamicSecurityResponse], GatewayAccountError>
        do {
            let answers = try await withThrowingTaskGroup(of: [DynamicSecurityResponse]?.self) { group in
                group.addTask {
                    try await Self.exchange(events: events, client: client, payload: payload, ids: ids, progress: progress)
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            if let answers {
                result = .success(answers)
            } else {
                result = .failure(progress.timeoutError(endpoint: endpoint, timeout: timeout))
            }
        } catch let error as GatewayAccountError {
            result = .failure(error)
        } catch {
            result = .failure(GatewayAccountError(.unavailable, "dynamic-security exchange with \(endpoint) failed: \(error)"))
        }
        sink.finish()
        await client.stopInBackground()
        return try result.get()
    }

    /// How far an exchange got, for the error of a timeout.
    final class Progress: Sendable {
        let connected = AtomicCounter()
        let published = AtomicCounter()

        func timeoutError(endpoint: MQTTEndpoint, timeout: Duration) -> GatewayAccountError {
            if connected.value == 0 {
                return GatewayAccountError(.unavailable, "no connection to the broker at \(endpoint) within \(timeout): is it running, and is the MQTT URL right?")
            }
            return GatewayAccountError(.unavailable, "the broker at \(endpoint) did not answer the dynamic-security commands within \(timeout): is the plugin loaded (mosquitto_dynamic_security.so) and may \(endpoint.username ?? "this account") publish to \(DynamicSecurityClient.commandTopic) and subscribe to \(DynamicSecurityClient.responseTopic)?")
        }
    }

    private static func exchange(events: AsyncStream<Event>, client: MQTTClient, payload: Data, ids: [String],
                                 progress: Progress) async throws -> [DynamicSecurityResponse]? {
        var answers: [String: DynamicSecurityResponse] = [:]
        let wanted = Set(ids)
        for await event in events {
            switch event {
            case .connected(let rc):
                guard rc == 0 else {
                    throw GatewayAccountError(.unavailable, "the broker at \(client.endpoint) refused the connection: \(MQTTClient.describeConnack(rc))")
                }
                // The subscription to the answers went out before this (in the connect callback), on
                // the same connection, so the broker has it before it sees the commands. After a
                // reconnect the commands are sent again; answers are matched by correlation id.
                progress.connected.store(1)
                guard progress.published.value == 0 else { continue }
                try client.publish(topic: commandTopic, payload: payload, qos: 1)
                progress.published.store(1)
            case .message(let message):
                guard message.topic == responseTopic, let responses = DynamicSecurityResponse.parse(message.payload) else { continue }
                for response in responses {
                    if let id = response.correlationData, wanted.contains(id), answers[id] == nil { answers[id] = response }
                }
                if answers.count == ids.count {
                    return ids.compactMap { answers[$0] }
                }
            }
        }
        return nil
    }
}
