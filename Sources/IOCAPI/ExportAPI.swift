import Foundation
import Hummingbird
import IOCCore
import IOCStorage
import Logging
import PostgresNIO

/// Open data: `GET /api/v1/export` streams the readings of a unit subtree, domain or station
/// over a time range as CSV or JSON, each reading with its station's metadata (code, name, domain,
/// unit, coordinates) and its sensor's metric and unit, as a data portal publishes them. Rows are
/// read from PostgreSQL and written out as they come, so a year of a province costs no memory.
enum ExportAPI {
    static let maxDays = 366

    struct Station: Sendable {
        var code: String
        var name: String
        var domain: String
        var unitCode: String
        var unitName: String
        var lat: Double?
        var lon: Double?
    }

    struct Sensor: Sendable {
        var station: Station
        var metric: String
        var unit: String
    }

    static func addRoutes(to router: Router<APIRequestContext>, store: DashboardStore) {
        let (client, logger) = (store.client, store.logger)
        router.get("/api/v1/export") { request, context in
            await DashboardAPI.respond {
                let query = request.uri.queryParameters
                let format = query.get("format") ?? "csv"
                guard format == "csv" || format == "json" else {
                    throw APIError(.badRequest, "invalid_parameter", "format is csv or json, not '\(format)'", field: "format")
                }
                guard let fromText = query.get("from") else {
                    throw APIError(.badRequest, "invalid_parameter", "from is required: the start of the range, RFC 3339 like 2026-11-01T00:00:00+07:00", field: "from")
                }
                guard let from = Timestamp(rfc3339: fromText) else {
                    throw APIError(.badRequest, "invalid_parameter", "from must be an RFC 3339 time like 2026-11-01T00:00:00+07:00, not '\(fromText)'", field: "from")
                }
                let to: Timestamp
                if let toText = query.get("to") {
                    guard let parsed = Timestamp(rfc3339: toText) else {
                        throw APIError(.badRequest, "invalid_parameter", "to must be an RFC 3339 time like 2026-11-02T00:00:00+07:00, not '\(toText)'", field: "to")
                    }
                    to = parsed
                } else {
                    to = Timestamp.now
                }
                guard to > from else { throw APIError(.badRequest, "invalid_parameter", "to must be later than from", field: "to") }
                guard to.seconds - from.seconds <= Double(maxDays) * 86_400 else {
                    throw APIError(.badRequest, "invalid_parameter", "the range is at most \(maxDays) days; export a longer period in parts", field: "to")
                }
                let domain = query.get("domain"), station = query.get("station")
                // A token limited to a unit exports that unit's subtree, whatever is asked.
                let scope = UnitScope(context)
                let unit = try await scope.narrow(unit: query.get("unit"), store: store)
                if let station { try await scope.check(station: station, store: store) }
                let sensors = try await metadata(client: client, logger: logger, unit: unit, domain: domain, station: station)
                if let unit, sensors.isEmpty, try await store.unit(code: unit) == nil {
                    throw DashboardAPI.unknownUnit(unit)
                }
                if let station, sensors.isEmpty, try await store.stationID(code: station) == nil {
                    throw DashboardAPI.unknownStation(station)
                }
                let name = ["ioc-readings", unit ?? station ?? "all", domain, String(from.rfc3339.prefix(10)), String(to.rfc3339.prefix(10))]
                    .compactMap { $0 }.joined(separator: "_").replacingOccurrences(of: ":", with: "")
                let headers: HTTPFields = [
                    .contentType: format == "csv" ? "text/csv; charset=utf-8" : "application/json",
                    .contentDisposition: "attachment; filename=\"\(name).\(format)\"",
                ]
                let ids = sensors.keys.sorted()
                let body = ResponseBody { writer in
                    var out = ByteBuffer()
                    out.reserveCapacity(64 * 1024)
                    if format == "csv" {
                        out.writeString("station_code,station_name,domain,unit_code,unit_name,lat,lon,sensor_id,metric,unit,ts,value\n")
                    } else {
                        out.writeString(header(sensors: sensors, from: from, to: to, unit: unit, domain: domain, station: station))
                    }
                    var first = true
                    do {
                        if !ids.isEmpty {
                            let rows = try await client.query("""
                                SELECT sensor_id, ts, value FROM readings
                                WHERE sensor_id = ANY(\(ids)) AND ts >= \(from) AND ts < \(to)
                                ORDER BY sensor_id, ts
                                """, logger: logger)
                            for try await (sensorID, time, value) in rows.decode((Int32, Timestamp, Double).self) {
                                guard let sensor = sensors[sensorID] else { continue }
                                if format == "csv" {
                                    csvRow(sensorID, sensor, time, value, into: &out)
                                } else {
                                    out.writeString(first ? "\n" : ",\n")
                                    jsonRow(sensorID, time, value, into: &out)
                                }
                                first = false
                                if out.readableBytes >= 60 * 1024 {
                                    try await writer.write(out)
                                    out.clear()
                                }
                            }
                        }
                    } catch {
                        // The status is already sent: end the body (a JSON export is then visibly cut short) and say why in the log.
                        logger.error("export cut short", metadata: ["error": "\(String(reflecting: error))"])
                        if format == "csv" { try await writer.write(out) }
                        try await writer.finish(nil)
                        return
                    }
                    if format == "json" { out.writeString("\n]}\n") }
                    try await writer.write(out)
                    try await writer.finish(nil)
                }
                return Response(status: .ok, headers: headers, body: body)
            }
        }
    }

    /// Every sensor in scope with its station's metadata.
    static func metadata(client: PostgresClient, logger: Logger, unit: String?, domain: String?, station: String?) async throws -> [Int32: Sensor] {
        let rows = try await client.query("""
            WITH RECURSIVE scope(id) AS (
                SELECT id FROM admin_units WHERE code = \(unit)
                UNION SELECT u.id FROM admin_units u JOIN scope ON u.parent_id = scope.id
            )
            SELECT se.id, se.metric, se.unit, s.code, s.name, s.domain, u.code, u.name, s.lat, s.lon
            FROM sensors se JOIN stations s ON s.id = se.station_id JOIN admin_units u ON u.id = s.unit_id
            WHERE (\(unit)::text IS NULL OR s.unit_id IN (SELECT id FROM scope))
              AND (\(domain)::text IS NULL OR s.domain = \(domain))
              AND (\(station)::text IS NULL OR s.code = \(station))
            """, logger: logger)
        var result: [Int32: Sensor] = [:]
        for try await (id, metric, sensorUnit, code, name, stationDomain, unitCode, unitName, lat, lon) in rows.decode((Int32, String, String, String, String, String, String, String, Double?, Double?).self) {
            result[id] = Sensor(station: Station(code: code, name: name, domain: stationDomain, unitCode: unitCode, unitName: unitName, lat: lat, lon: lon),
                                metric: metric, unit: sensorUnit)
        }
        return result
    }

    /// `{"meta": {…, "stations": [{code, name, domain, unit_code, unit_name, lat, lon, sensors: [{id, metric, unit}]}]}, "readings": [`
    static func header(sensors: [Int32: Sensor], from: Timestamp, to: Timestamp, unit: String?, domain: String?, station: String?) -> String {
        var json = JSONWriter(capacity: 4096)
        json.beginObject()
        json.key("meta"); json.beginObject()
        json.key("generated_at"); json.time(Timestamp.now)
        json.key("from"); json.time(from)
        json.key("to"); json.time(to)
        json.key("unit"); json.string(unit)
        json.key("domain"); json.string(domain)
        json.key("station"); json.string(station)
        json.key("fields"); json.beginArray(); for field in ["sensor", "ts", "value"] { json.string(field) }; json.endArray()
        json.key("stations"); json.beginArray()
        let byStation = Dictionary(grouping: sensors, by: { $0.value.station.code })
        for code in byStation.keys.sorted() {
            let members = byStation[code]!.sorted { $0.key < $1.key }
            let station = members[0].value.station
            json.beginObject()
            json.key("code"); json.string(station.code)
            json.key("name"); json.string(station.name)
            json.key("domain"); json.string(station.domain)
            json.key("unit_code"); json.string(station.unitCode)
            json.key("unit_name"); json.string(station.unitName)
            json.key("lat"); json.number(station.lat)
            json.key("lon"); json.number(station.lon)
            json.key("sensors"); json.beginArray()
            for (id, sensor) in members {
                json.sensor(id: id, metric: sensor.metric, unit: sensor.unit)
            }
            json.endArray()
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.text + ",\"readings\":["
    }

    static func csvRow(_ id: Int32, _ sensor: Sensor, _ time: Timestamp, _ value: Double, into out: inout ByteBuffer) {
        let station = sensor.station
        out.writeString(csvField(station.code)); out.writeString(",")
        out.writeString(csvField(station.name)); out.writeString(",")
        out.writeString(csvField(station.domain)); out.writeString(",")
        out.writeString(csvField(station.unitCode)); out.writeString(",")
        out.writeString(csvField(station.unitName)); out.writeString(",")
        out.writeString(station.lat.map { "\($0)" } ?? ""); out.writeString(",")
        out.writeString(station.lon.map { "\($0)" } ?? ""); out.writeString(",")
        out.writeString(String(id)); out.writeString(",")
        out.writeString(csvField(sensor.metric)); out.writeString(",")
        out.writeString(csvField(sensor.unit)); out.writeString(",")
        out.writeString(time.rfc3339); out.writeString(",")
        out.writeString(value.description); out.writeString("\n")
    }

    /// RFC 4180: quoted when it holds a comma, quote or line break, quotes doubled.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func jsonRow(_ id: Int32, _ time: Timestamp, _ value: Double, into out: inout ByteBuffer) {
        out.writeString("[\(id),\"\(time.rfc3339)\",\(value.description)]")
    }
}
