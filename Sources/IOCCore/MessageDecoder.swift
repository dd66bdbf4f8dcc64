import Foundation

/// Why a message or one record of it was not stored. `kind` is a fixed label (metrics);
/// `reason` is what a person reads in `dead_letters`, specific enough to act on.
public struct Rejection: Error, Sendable, Hashable {
    public var kind: RejectionKind
    public var reason: String
    public init(_ kind: RejectionKind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }
}

/// The fixed label of a rejection; the raw value is what metrics and `dead_letters.kind` show.
public enum RejectionKind: String, Sendable, CaseIterable {
    case badTopic = "bad_topic"
    case payloadTooLarge = "payload_too_large"
    case notUTF8 = "not_utf8"
    case malformedJSON = "malformed_json"
    case malformedValue = "malformed_value"
    case packTooLarge = "pack_too_large"
    case unsupportedVersion = "unsupported_senml_version"
    case unknownGateway = "unknown_gateway"
    case unknownStation = "unknown_station"
    case wrongGateway = "station_not_on_gateway"
    case unknownMetric = "unknown_metric"
    case nonNumeric = "non_numeric_value"
    case missingValue = "missing_value"
    case unitMismatch = "unit_mismatch"
    case nonFinite = "non_finite_value"
    case outOfRange = "out_of_range"
    case futureTimestamp = "timestamp_in_future"
    case tooOld = "timestamp_too_old"
    case badTimestamp = "bad_timestamp"
    case badStatus = "bad_status"
}

/// What a gateway says on its status topic (its will message says `offline`).
public enum GatewayStatus: String, Sendable {
    case online, offline
}

/// Limits applied to every message.
public struct IngestLimits: Sendable {
    public var maxPayloadBytes: Int
    /// SenML records in one pack, or values in one compact JSON message.
    public var maxRecords: Int
    /// How far into the future a timestamp may be, in seconds.
    public var maxFutureSeconds: Double
    /// How old a reading may be, in days (the retention of `readings`).
    public var retentionDays: Int

    public init(maxPayloadBytes: Int = 256 * 1024, maxRecords: Int = 10_000, maxFutureSeconds: Double = 300, retentionDays: Int = 400) {
        self.maxPayloadBytes = maxPayloadBytes
        self.maxRecords = maxRecords
        self.maxFutureSeconds = maxFutureSeconds
        self.retentionDays = retentionDays
    }
}

/// What a topic means: `ioc/v1/{gateway}/senml|json|status`, `ioc/v1/{gateway}/raw/{station}/{metric}`.
public enum MessageRoute: Sendable, Hashable {
    case senml(gateway: String)
    case json(gateway: String)
    case raw(gateway: String, station: String, metric: String)
    case status(gateway: String)

    public var gateway: String {
        switch self {
        case .senml(let g), .json(let g), .raw(let g, _, _), .status(let g): return g
        }
    }
}

/// The outcome of decoding one MQTT message: the readings to store, the records or message
/// rejected with their reasons, and a gateway status if it was a status message.
///
/// A message that cannot be used at all (bad topic, too large, not JSON, unknown gateway …) has
/// no readings and one rejection. Otherwise each value in it (a SenML record, one metric of a
/// compact JSON object) becomes a reading or one rejection naming it, so the good records of a
/// partly bad pack are still stored.
public struct DecodedMessage: Sendable {
    public var gateway: String?
    public var readings: [Reading]
    public var rejections: [Rejection]
    public var status: GatewayStatus?
    /// Readings stored after converting their unit (e.g. cm → m).
    public var conversions: Int

    public init(gateway: String? = nil, readings: [Reading] = [], rejections: [Rejection] = [], status: GatewayStatus? = nil, conversions: Int = 0) {
        self.gateway = gateway
        self.readings = readings
        self.rejections = rejections
        self.status = status
        self.conversions = conversions
    }
}

/// Turns one MQTT message into readings and rejections. Pure: no I/O, no clock, no shared state,
/// and no input makes it trap.
///
/// Payloads by topic (see DESIGN.md, "MQTT topics and payloads"):
/// - `senml`: a SenML JSON pack (RFC 8428); the resolved name `bn + n` is `{station}/{metric}`.
/// - `json`: `{"station":…,"ts":…,"values":{metric: number},"units":{metric: unit}}` or an array
///   of such objects; `ts` is epoch milliseconds or RFC 3339, absent means the time of receipt.
/// - `raw/{station}/{metric}`: one plain decimal number, measured at the time of receipt.
/// - `status`: `online` or `offline`.
///
/// Values without a unit are taken to be in the sensor's unit. Reasons of pack records start with
/// `record 3 of 5 (PY-A/water_level):`, counting from 1. Every message yields readings,
/// rejections or a status: an empty pack is rejected too, so nothing disappears unnoticed.
public struct MessageDecoder: Sendable {
    public var limits: IngestLimits

    public init(limits: IngestLimits = .init()) {
        self.limits = limits
    }

    public func decode(topic: String, payload: Data, receivedAt: Timestamp, registry: RegistrySnapshot) -> DecodedMessage {
        let route: MessageRoute
        switch MessageRoute.parse(topic: topic) {
        case .success(let parsed): route = parsed
        case .failure(let rejection):
            return DecodedMessage(gateway: MessageRoute.gatewayHint(topic: topic), rejections: [rejection])
        }
        let gateway = route.gateway
        func fail(_ kind: RejectionKind, _ reason: String) -> DecodedMessage {
            DecodedMessage(gateway: gateway, rejections: [Rejection(kind, reason)])
        }

        if payload.count > limits.maxPayloadBytes {
            return fail(.payloadTooLarge, "payload \(formatBytes(payload.count)) exceeds the \(formatBytes(limits.maxPayloadBytes)) limit")
        }
        if let offset = payload.withUnsafeBytes(firstInvalidUTF8Offset) {
            return fail(.notUTF8, "payload is not UTF-8: invalid byte 0x\(String(payload[payload.startIndex + offset], radix: 16, uppercase: true)) at offset \(offset)")
        }
        guard registry.gateways.contains(gateway) else {
            return fail(.unknownGateway, "unknown gateway \(gateway); register it before it publishes")
        }

        var validator = ReadingValidator(gateway: gateway, registry: registry, receivedAt: receivedAt, limits: limits)
        var message = DecodedMessage(gateway: gateway)
        switch route {
        case .status:
            decodeStatus(payload, into: &message)
        case .raw(_, let station, let metric):
            decodeRaw(payload, station: station, metric: metric, into: &message, validator: &validator)
        case .senml:
            decodeSenML(payload, into: &message, validator: &validator)
            if message.readings.isEmpty, message.rejections.isEmpty {
                message.rejections.append(Rejection(.missingValue, "the pack has no records with a value"))
            }
        case .json:
            decodeCompactJSON(payload, into: &message, validator: &validator)
            if message.readings.isEmpty, message.rejections.isEmpty {
                message.rejections.append(Rejection(.missingValue, "the array has no objects"))
            }
        }
        message.conversions = validator.conversions
        return message
    }
}
