import Foundation
import Hummingbird
import IOCCore
import IOCStorage

/// What the dashboard endpoints work with.
public struct DashboardEndpoints: Sendable {
    public var store: DashboardStore
    public var layouts: DashboardLayouts
    /// The staleness threshold when a request names none.
    public var staleAfterSeconds: Int
    /// When given, `/api/v1/latest` is answered from the live feed's memory instead of a query.
    public var live: LiveHub?

    public init(store: DashboardStore, layouts: DashboardLayouts, staleAfterSeconds: Int = StationStatus.defaultStaleAfterSeconds, live: LiveHub? = nil) {
        self.store = store
        self.layouts = layouts
        self.live = live
        self.staleAfterSeconds = staleAfterSeconds
    }
}

/// The read-only API of wall displays and other systems: `/api/v1/units`, `stations`,
/// `stations.geojson`, `sensors`, `latest`, `history`, `summary` and `dashboards`.
/// Shapes are in `OpenAPIDocument` (served at `/openapi.yaml`).
enum DashboardAPI {
    static let defaultPageSize = 100
    static let maxPageSize = 1000

    static func addRoutes(to router: Router<APIRequestContext>, endpoints: DashboardEndpoints) {
        let store = endpoints.store
        router.get("/api/v1/units") { request, context in
            await respond {
                let root = try await UnitScope(context).narrow(unit: request.uri.queryParameters.get("unit"), store: store)
                let units = try await store.units()
                var roots: [DashboardStore.UnitRow]
                if let code = root {
                    guard let unit = units.first(where: { $0.code == code }) else { throw unknownUnit(code) }
                    roots = [unit]
                } else {
                    let ids = Set(units.map(\.id))
                    // A unit whose parent is missing is shown as a root rather than lost.
                    roots = units.filter { $0.parentID.map { !ids.contains($0) } ?? true }
                }
                let children = Dictionary(grouping: units.filter { $0.parentID != nil }, by: { $0.parentID! })
                var json = JSONWriter()
                var visited = Set<Int32>()
                func write(_ unit: DashboardStore.UnitRow) {
                    json.beginObject()
                    json.key("code"); json.string(unit.code)
                    json.key("name"); json.string(unit.name)
                    json.key("level"); json.string(unit.level)
                    json.key("children"); json.beginArray()
                    if visited.insert(unit.id).inserted {
                        for child in children[unit.id] ?? [] { write(child) }
                    }
                    json.endArray()
                    json.endObject()
                }
                json.beginObject()
                json.key("units"); json.beginArray()
                for root in roots { write(root) }
                json.endArray()
                json.endObject()
                return json.response()
            }
        }

        router.get("/api/v1/stations") { request, context in
            await respond {
                var filter = try await stationFilter(request, context, endpoints: endpoints, statusAllowed: true)
                let query = request.uri.queryParameters
                let limit = try integer(query.get("limit"), field: "limit", in: 1...maxPageSize, default: defaultPageSize)
                if let text = query.get("cursor") {
                    guard let cursor = StationCursor(encoded: text) else {
                        throw APIError(.badRequest, "invalid_parameter", "cursor '\(text)' is not one this API handed out: pass next_cursor from the previous page unchanged", field: "cursor")
                    }
                    filter.afterCode = cursor.afterCode
                }
                filter.limit = limit + 1
                let now = Timestamp.now
                var stations = try await store.stations(filter, now: now)
                let more = stations.count > limit
                if more { stations.removeLast(stations.count - limit) }
                let sensors = try await store.sensors(ofStations: stations.map(\.id))
                let byStation = Dictionary(grouping: sensors, by: \.stationID)
                var json = JSONWriter(capacity: 512 * stations.count + 256)
                json.beginObject()
                json.key("generated_at"); json.time(now)
                json.key("stale_after_seconds"); json.integer(filter.staleAfterSeconds)
                json.key("stations"); json.beginArray()
                for station in stations {
                    json.beginObject()
                    writeStationFields(station, to: &json)
                    json.key("attributes"); json.rawJSON(station.attributes)
                    json.key("sensors"); json.beginArray()
                    for sensor in byStation[station.id] ?? [] {
                        json.sensor(id: sensor.id, metric: sensor.metric, unit: sensor.unit)
                    }
                    json.endArray()
                    json.endObject()
                }
                json.endArray()
                json.key("next_cursor"); json.string(more ? stations.last.map { StationCursor(afterCode: $0.code).encoded } : nil)
                json.endObject()
                return json.response()
            }
        }

        router.get("/api/v1/stations.geojson") { request, context in
            await respond {
                let filter = try await stationFilter(request, context, endpoints: endpoints, statusAllowed: true)
                let now = Timestamp.now
                let stations = try await store.stations(filter, now: now)
                let latest = Dictionary(grouping: try await store.latest(ofStations: stations.map(\.id)), by: \.stationID)
                var json = JSONWriter(capacity: 400 * stations.count + 256)
                json.beginObject()
                json.key("type"); json.string("FeatureCollection")
                json.key("features"); json.beginArray()
                var skipped = 0
                for station in stations {
                    guard let lat = station.lat, let lon = station.lon else { skipped += 1; continue }
                    json.beginObject()
                    json.key("type"); json.string("Feature")
                    json.key("id"); json.string(station.code)
                    json.key("geometry"); json.beginObject()
                    json.key("type"); json.string("Point")
                    // RFC 7946: longitude first.
                    json.key("coordinates"); json.beginArray(); json.number(lon); json.number(lat); json.endArray()
                    json.endObject()
                    json.key("properties"); json.beginObject()
                    writeStationFields(station, to: &json)
                    json.key("latest"); json.beginObject()
                    for value in (latest[station.id] ?? []).sorted(by: { $0.metric < $1.metric }) {
                        json.key(value.metric); json.beginObject()
                        json.key("sensor"); json.integer(value.sensorID)
                        json.key("value"); json.number(value.value)
                        json.key("unit"); json.string(value.unit)
                        json.key("ts"); json.time(value.time)
                        json.endObject()
                    }
                    json.endObject()
                    json.endObject()
                    json.endObject()
                }
                json.endArray()
                json.key("skipped"); json.integer(skipped)
                json.key("generated_at"); json.time(now)
                json.key("stale_after_seconds"); json.integer(filter.staleAfterSeconds)
                json.endObject()
                return json.response(contentType: "application/geo+json; charset=utf-8")
            }
        }

        router.get("/api/v1/sensors") { request, context in
            await respond {
                let scope = UnitScope(context)
                var ids: [Int32]?
                let code = request.uri.queryParameters.get("station")
                if let code {
                    try await scope.check(station: code, store: store)
                    guard let id = try await store.stationID(code: code) else { throw unknownStation(code) }
                    ids = [id]
                }
                let sensors = try await store.sensors(ofStations: ids, under: scope.unit)
                var json = JSONWriter(capacity: 96 * sensors.count + 64)
                json.beginObject()
                json.key("sensors"); json.beginArray()
                for sensor in sensors {
                    json.sensor(id: sensor.id, station: sensor.stationCode, metric: sensor.metric, unit: sensor.unit, derived: sensor.derived)
                }
                json.endArray()
                json.endObject()
                return json.response()
            }
        }

        router.get("/api/v1/latest") { request, context in
            await respond {
                let filter = try await stationFilter(request, context, endpoints: endpoints, statusAllowed: false)
                if let live = endpoints.live, live.isReady {
                    return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                                    body: .init(byteBuffer: live.latestBody(unit: filter.unit, domain: filter.domain, station: filter.station)))
                }
                let now = Timestamp.now
                let values = try await store.latest(unit: filter.unit, domain: filter.domain, station: filter.station)
                var json = JSONWriter(capacity: 128 * values.count + 128)
                json.beginObject()
                json.key("generated_at"); json.time(now)
                json.key("count"); json.integer(values.count)
                json.key("values"); json.beginArray()
                for value in values {
                    json.latestValue(sensor: value.sensorID, station: value.stationCode, metric: value.metric, unit: value.unit,
                                     value: value.value, time: value.time)
                }
                json.endArray()
                json.endObject()
                return json.response()
            }
        }

        router.get("/api/v1/history") { request, context in
            await respond {
                let query = request.uri.queryParameters
                let plan: HistoryPlan
                switch HistoryPlan.parse(sensors: query.get("sensor"), from: query.get("from"), to: query.get("to"), step: query.get("step")) {
                case .success(let parsed): plan = parsed
                case .failure(let error): throw APIError(.badRequest, "invalid_parameter", error.message, field: error.field)
                }
                let sensors = Dictionary(uniqueKeysWithValues: try await store.sensors(ids: plan.sensorIDs, under: UnitScope(context).unit).map { ($0.id, $0) })
                let missing = plan.sensorIDs.filter { sensors[$0] == nil }
                guard missing.isEmpty else {
                    throw APIError(.notFound, "not_found", "there is no sensor \(missing.map(String.init).joined(separator: ", ")); GET /api/v1/sensors lists them", field: "sensor")
                }
                let history = try await store.history(plan, now: Timestamp.now)
                guard !history.tooManyRaw else {
                    throw APIError(.badRequest, "too_many_points", "more than \(DashboardStore.maxRawReadings) raw readings in this range; use step=1m or auto, fewer sensors or a shorter range", field: "step")
                }
                let bySensor = Dictionary(grouping: history.buckets, by: \.sensorID)
                var json = JSONWriter(capacity: 96 * history.buckets.count + 256)
                json.beginObject()
                json.key("step"); json.string(plan.step.rawValue)
                json.key("automatic"); json.bool(plan.automatic)
                json.key("from"); json.time(plan.from)
                json.key("to"); json.time(plan.to)
                json.key("sources"); json.beginArray()
                for source in history.sources { json.string(source) }
                json.endArray()
                json.key("raw_from"); json.time(history.rawFrom)
                json.key("series"); json.beginArray()
                for id in plan.sensorIDs {
                    let sensor = sensors[id]!
                    json.beginObject()
                    json.key("sensor"); json.integer(id)
                    json.key("station"); json.string(sensor.stationCode)
                    json.key("metric"); json.string(sensor.metric)
                    json.key("unit"); json.string(sensor.unit)
                    json.key("points"); json.beginArray()
                    for bucket in bySensor[id] ?? [] {
                        json.beginObject()
                        json.key("t"); json.time(bucket.start)
                        json.key("min"); json.number(bucket.min)
                        json.key("max"); json.number(bucket.max)
                        json.key("avg"); json.number(bucket.sum / Double(bucket.count))
                        json.key("sum"); json.number(bucket.sum)
                        json.key("count"); json.integer(bucket.count)
                        json.endObject()
                    }
                    json.endArray()
                    json.endObject()
                }
                json.endArray()
                json.endObject()
                return json.response()
            }
        }

        router.get("/api/v1/summary") { request, context in
            await respond {
                let filter = try await stationFilter(request, context, endpoints: endpoints, statusAllowed: false, stationAllowed: false)
                var unit: DashboardStore.UnitRow?
                if let code = filter.unit {
                    unit = try await store.unit(code: code)
                    guard unit != nil else { throw unknownUnit(code) }
                }
                let now = Timestamp.now
                let groups = try await store.summary(of: try await store.summaryUnits(under: unit), domain: filter.domain,
                                                     staleAfterSeconds: filter.staleAfterSeconds, now: now)
                // Also counts stations attached to `unit` itself rather than to one of its children.
                var total: DashboardStore.SummaryGroup?
                if let unit {
                    total = try await store.summary(of: [unit], domain: filter.domain, staleAfterSeconds: filter.staleAfterSeconds, now: now).first
                }
                var json = JSONWriter()
                json.beginObject()
                json.key("generated_at"); json.time(now)
                json.key("unit"); json.string(filter.unit)
                json.key("domain"); json.string(filter.domain)
                json.key("stale_after_seconds"); json.integer(filter.staleAfterSeconds)
                json.key("total")
                if let total { writeGroupSummary(total, to: &json) } else { json.null() }
                json.key("groups"); json.beginArray()
                for group in groups { writeGroupSummary(group, to: &json) }
                json.endArray()
                json.endObject()
                return json.response()
            }
        }

        router.get("/api/v1/dashboards") { _, _ in
            await respond {
                var json = JSONWriter()
                json.beginObject()
                json.key("dashboards"); json.beginArray()
                for layout in endpoints.layouts.list() {
                    json.beginObject()
                    json.key("name"); json.string(layout.name)
                    json.key("title_vi"); json.string(layout.titleVI)
                    json.key("title_en"); json.string(layout.titleEN)
                    json.endObject()
                }
                json.endArray()
                json.endObject()
                return json.response()
            }
        }

        router.get("/api/v1/dashboards/:name") { _, context in
            await respond {
                let name = context.parameters.get("name") ?? ""
                guard DashboardLayouts.isValidName(name) else {
                    throw APIError(.badRequest, "invalid_name", "a layout name is 1 to 64 lower-case letters, digits, '-' or '_' (no extension, no path), such as flood-watch; GET /api/v1/dashboards lists them", field: "name")
                }
                guard let data = try endpoints.layouts.layout(name) else {
                    throw APIError(.notFound, "not_found", "there is no layout \(name); GET /api/v1/dashboards lists them")
                }
                guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
                    throw APIError(.internalServerError, "invalid_layout", "the layout file \(name).json is not a JSON object; fix the file in the dashboards directory")
                }
                return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
            }
        }
    }

    /// code, name, domain, unit, gateway, lat, lon, status, last_reading_at.
    static func writeStationFields(_ station: DashboardStore.StationRow, to json: inout JSONWriter) {
        json.key("code"); json.string(station.code)
        json.key("name"); json.string(station.name)
        json.key("domain"); json.string(station.domain)
        json.key("unit"); json.string(station.unit)
        json.key("gateway"); json.string(station.gateway)
        json.key("lat"); json.number(station.lat)
        json.key("lon"); json.number(station.lon)
        json.key("status"); json.string(station.status.rawValue)
        json.key("last_reading_at"); json.time(station.lastReadingAt)
    }

    static func writeGroupSummary(_ group: DashboardStore.SummaryGroup, to json: inout JSONWriter) {
        json.beginObject()
        json.key("unit"); json.beginObject()
        json.key("code"); json.string(group.unit.code)
        json.key("name"); json.string(group.unit.name)
        json.key("level"); json.string(group.unit.level)
        json.endObject()
        json.key("domains"); json.beginArray()
        for domain in Set(group.stations.keys).union(group.openAlerts.keys).sorted() {
            writeDomainSummary(domain, of: group, to: &json)
        }
        json.endArray()
        json.endObject()
    }

    static func writeDomainSummary(_ domain: String, of group: DashboardStore.SummaryGroup, to json: inout JSONWriter) {
        json.beginObject()
        json.key("domain"); json.string(domain)
        let counts = group.stations[domain] ?? [:]
        json.key("stations"); json.beginObject()
        for status in StationStatus.allCases {
            json.key(status.rawValue); json.integer(counts[status] ?? 0)
        }
        json.key("total"); json.integer(counts.values.reduce(0, +))
        json.endObject()
        let alerts = group.openAlerts[domain] ?? [:]
        json.key("open_alerts"); json.beginObject()
        for severity in AlertRule.Severity.allCases {
            json.key(severity.rawValue); json.integer(alerts[severity.rawValue] ?? 0)
        }
        json.key("total"); json.integer(alerts.values.reduce(0, +))
        json.endObject()
        json.key("highest_water_level")
        if let level = group.worstWaterLevel[domain] {
            json.beginObject()
            json.key("station"); json.string(level.station)
            json.key("name"); json.string(level.name)
            json.key("sensor"); json.integer(level.sensorID)
            json.key("value"); json.number(level.standing.value)
            json.key("ts"); json.time(level.time)
            json.key("level_reached"); json.string(level.standing.reachedLevel)
            json.key("next_level"); json.string(level.standing.nextLevel)
            json.key("margin_to_next"); json.number(level.standing.marginToNext)
            json.key("alarm_levels"); json.beginObject()
            for (name, threshold) in zip(AlarmLevelStanding.levelNames, level.standing.thresholds) {
                json.key(name); json.number(threshold)
            }
            json.endObject()
            json.endObject()
        } else {
            json.null()
        }
        json.key("worst_aqi_band")
        if let air = group.worstAQI[domain] {
            let band = air.band
            json.beginObject()
            json.key("aqi"); json.integer(air.aqi)
            json.key("level"); json.integer(band.level)
            json.key("code"); json.string(band.code)
            json.key("name_vi"); json.string(band.nameVI)
            json.key("name_en"); json.string(band.nameEN)
            json.key("colour"); json.string(band.colour)
            json.key("station"); json.string(air.station)
            json.key("name"); json.string(air.name)
            json.key("sensor"); json.integer(air.sensorID)
            json.key("ts"); json.time(air.time)
            json.endObject()
        } else {
            json.null()
        }
        json.endObject()
    }

    /// unit (checked to exist, narrowed to the token's scope), domain, station (checked to exist in scope), status, stale_after_seconds.
    static func stationFilter(_ request: Request, _ context: APIRequestContext, endpoints: DashboardEndpoints, statusAllowed: Bool,
                              stationAllowed: Bool = true) async throws -> DashboardStore.StationFilter {
        let scope = UnitScope(context)
        let query = request.uri.queryParameters
        var filter = DashboardStore.StationFilter(staleAfterSeconds: endpoints.staleAfterSeconds)
        filter.staleAfterSeconds = try integer(query.get("stale_after_seconds"), field: "stale_after_seconds",
                                               in: StationStatus.staleAfterRange, default: endpoints.staleAfterSeconds)
        if let domain = query.get("domain"), !domain.isEmpty { filter.domain = domain }
        if statusAllowed, let text = query.get("status"), !text.isEmpty {
            guard let status = StationStatus(rawValue: text) else {
                throw APIError(.badRequest, "invalid_parameter", "status is one of online, offline, stale, unknown, not '\(text)'", field: "status")
            }
            filter.status = status
        }
        // A token limited to a unit sees that unit's subtree, whatever is asked.
        filter.unit = try await scope.narrow(unit: query.get("unit"), store: endpoints.store)
        if stationAllowed, let station = query.get("station"), !station.isEmpty {
            try await scope.check(station: station, store: endpoints.store)
            filter.station = station
        }
        return filter
    }

    static func integer(_ text: String?, field: String, in range: ClosedRange<Int>, default value: Int) throws(APIError) -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError(.badRequest, "invalid_parameter", "\(field) is an integer from \(range.lowerBound) to \(range.upperBound), not '\(text)'", field: field)
        }
        return number
    }

    static func unknownUnit(_ code: String) -> APIError {
        APIError(.notFound, "not_found", "there is no administrative unit \(code); GET /api/v1/units lists them", field: "unit")
    }

    static func unknownStation(_ code: String) -> APIError {
        APIError(.notFound, "not_found", "there is no station \(code); GET /api/v1/stations lists them", field: "station")
    }

    /// Runs a handler with the API's error shape; a database failure says what could not be read.
    static func respond(_ body: () async throws -> Response) async -> Response {
        await RulesAPI.respond {
            do {
                return try await body()
            } catch let error as APIError {
                throw error
            } catch {
                if let message = error.invalidTextMessage { throw APIError(.badRequest, "invalid_text", message) }
                throw APIError(.serviceUnavailable, "storage_unavailable", "the dashboard data could not be read: \(error.databaseSummary); try again shortly")
            }
        }
    }
}
