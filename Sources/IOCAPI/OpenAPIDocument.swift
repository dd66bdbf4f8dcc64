/// The OpenAPI 3.1 description of every route `APIServer.makeRouter` serves, served at
/// `GET /openapi.yaml`, with the bearer-token security of each added by `secured`. A Swift string
/// rather than a bundled resource: nothing to locate at run time. Keep it in step with the
/// handlers (the dashboard tests check that every dashboard path is in it).
public enum OpenAPIDocument {
    public static let yaml = secured(document)

    static let document = #"""
openapi: 3.1.0
info:
  title: IOC — Intelligent Operations Center API
  version: "1"
  description: |
    REST API of the IOC backend. Every error has one shape: `{"error": {"code", "message", "field"?}}`,
    where the message says what to change. Times are RFC 3339 strings in UTC (`2026-11-27T01:00:00Z`);
    times in requests may carry any offset (`2026-11-27T08:00:00+07:00`).

    Station status: `offline` when the station's gateway reported itself offline; else `unknown` when
    none of its sensors ever had a reading; else `stale` when its newest reading is older than
    `stale_after_seconds` (server default 900, per request 60…604800); else `online`.

    Every request needs `Authorization: Bearer <token>` except /healthz, /readyz, /openapi.yaml and,
    unless the server runs with IOC_METRICS_ACCESS=token, /metrics: 401 without a valid token, 403
    when its role may not (display < viewer < operator < admin).
servers:
  - url: /
security:
  - bearer: []
paths:
  /healthz:
    get:
      summary: Liveness
      responses:
        "200":
          description: The process is up.
          content:
            text/plain:
              schema: {type: string}
  /readyz:
    get:
      summary: Readiness of each dependency
      responses:
        "200":
          description: Every dependency is usable.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Readiness"}
        "503":
          description: Some dependency is not usable.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Readiness"}
  /metrics:
    get:
      summary: Prometheus metrics
      responses:
        "200":
          description: Text exposition format 0.0.4.
          content:
            text/plain:
              schema: {type: string}
  /openapi.yaml:
    get:
      summary: This document
      responses:
        "200":
          description: OpenAPI 3.1 YAML.
          content:
            application/yaml:
              schema: {type: string}

  /api/v1/units:
    get:
      summary: The administrative unit tree
      parameters:
        - {name: unit, in: query, required: false, description: "Only the subtree rooted at this unit code.", schema: {type: string}}
      responses:
        "200":
          description: Root units (or the one asked for) with their children, recursively.
          content:
            application/json:
              schema:
                type: object
                required: [units]
                properties:
                  units: {type: array, items: {$ref: "#/components/schemas/UnitNode"}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/stations:
    get:
      summary: Stations, filtered and paged by code
      parameters:
        - $ref: "#/components/parameters/Unit"
        - $ref: "#/components/parameters/Domain"
        - $ref: "#/components/parameters/Status"
        - $ref: "#/components/parameters/StaleAfter"
        - {name: limit, in: query, required: false, description: "Page size (default 100).", schema: {type: integer, minimum: 1, maximum: 1000}}
        - {name: cursor, in: query, required: false, description: "next_cursor of the previous page, unchanged.", schema: {type: string}}
      responses:
        "200":
          description: One page of stations ordered by code (bytewise).
          content:
            application/json:
              schema:
                type: object
                required: [generated_at, stale_after_seconds, stations, next_cursor]
                properties:
                  generated_at: {type: string, format: date-time}
                  stale_after_seconds: {type: integer}
                  stations: {type: array, items: {$ref: "#/components/schemas/Station"}}
                  next_cursor: {type: [string, "null"], description: "Pass as cursor for the next page; null on the last page."}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/stations.geojson:
    get:
      summary: Stations as a GeoJSON FeatureCollection (RFC 7946) with status and latest values
      parameters:
        - $ref: "#/components/parameters/Unit"
        - $ref: "#/components/parameters/Domain"
        - $ref: "#/components/parameters/Status"
        - $ref: "#/components/parameters/StaleAfter"
      responses:
        "200":
          description: One Point feature per station with coordinates ([lon, lat]); stations without coordinates are counted in `skipped`.
          content:
            application/geo+json:
              schema:
                type: object
                required: [type, features, skipped, generated_at, stale_after_seconds]
                properties:
                  type: {const: FeatureCollection}
                  features:
                    type: array
                    items:
                      type: object
                      required: [type, id, geometry, properties]
                      properties:
                        type: {const: Feature}
                        id: {type: string}
                        geometry:
                          type: object
                          required: [type, coordinates]
                          properties:
                            type: {const: Point}
                            coordinates: {type: array, minItems: 2, maxItems: 2, items: {type: number}, description: "[longitude, latitude]"}
                        properties:
                          allOf:
                            - $ref: "#/components/schemas/StationFields"
                            - type: object
                              required: [latest]
                              properties:
                                latest:
                                  type: object
                                  description: By metric name.
                                  additionalProperties:
                                    type: object
                                    required: [sensor, value, unit, ts]
                                    properties:
                                      sensor: {type: integer}
                                      value: {type: number}
                                      unit: {type: string}
                                      ts: {type: string, format: date-time}
                  skipped: {type: integer, minimum: 0}
                  generated_at: {type: string, format: date-time}
                  stale_after_seconds: {type: integer}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/sensors:
    get:
      summary: Sensors of one station, or of all
      parameters:
        - {name: station, in: query, required: false, schema: {type: string}}
      responses:
        "200":
          description: Sensors ordered by station code and metric.
          content:
            application/json:
              schema:
                type: object
                required: [sensors]
                properties:
                  sensors:
                    type: array
                    items:
                      type: object
                      required: [id, station, metric, unit, derived]
                      properties:
                        id: {type: integer}
                        station: {type: string}
                        metric: {type: string}
                        unit: {type: string}
                        derived: {type: boolean, description: "Computed by IOC from the station's other readings (vn_aqi, rain_24h, alarm_level, congestion, …; see the README's Derived metrics); gateways cannot report it."}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/latest:
    get:
      summary: Newest value of every sensor in a unit subtree, domain or station, in one call
      description: Latest values trail the readings by the rollup interval (10 s by default).
      parameters:
        - $ref: "#/components/parameters/Unit"
        - $ref: "#/components/parameters/Domain"
        - {name: station, in: query, required: false, schema: {type: string}}
      responses:
        "200":
          description: Values ordered by station code and metric; sensors without any reading are left out.
          content:
            application/json:
              schema:
                type: object
                required: [generated_at, count, values]
                properties:
                  generated_at: {type: string, format: date-time}
                  count: {type: integer}
                  values:
                    type: array
                    items:
                      type: object
                      required: [sensor, station, metric, unit, value, ts]
                      properties:
                        sensor: {type: integer}
                        station: {type: string}
                        metric: {type: string}
                        unit: {type: string}
                        value: {type: number}
                        ts: {type: string, format: date-time}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/history:
    get:
      summary: History of up to 50 sensors with min/max/avg/sum/count per bucket
      description: |
        Buckets are aligned to UTC minutes, hours or days; the first is the one containing `from`, the last
        the one starting before `to`, each aggregated whole. 1m comes from readings_1m, 1h from readings_1h,
        1d from readings_1h summed per UTC day; buckets from `raw_from` on are aggregated from raw readings
        because the rollups trail the readings. `raw` returns each reading in [from, to) as a bucket of count 1.
        `auto` (the default) picks 1m when that gives at most 2000 buckets, else 1h when that does, else 1d.
        Limits: 50 sensors, 400 days, raw at most 2 days and 200000 readings, an explicit step at most 20000 buckets per sensor.
      parameters:
        - {name: sensor, in: query, required: true, description: "Sensor ids separated by commas, e.g. 12,13.", schema: {type: string}}
        - {name: from, in: query, required: true, schema: {type: string, format: date-time}}
        - {name: to, in: query, required: true, schema: {type: string, format: date-time}}
        - {name: step, in: query, required: false, schema: {type: string, enum: [raw, 1m, 1h, 1d, auto], default: auto}}
      responses:
        "200":
          description: One series per requested sensor, in the order asked.
          content:
            application/json:
              schema:
                type: object
                required: [step, automatic, from, to, sources, raw_from, series]
                properties:
                  step: {type: string, enum: [raw, 1m, 1h, 1d]}
                  automatic: {type: boolean}
                  from: {type: string, format: date-time}
                  to: {type: string, format: date-time}
                  sources: {type: array, items: {type: string, enum: [readings, readings_1m, readings_1h]}}
                  raw_from: {type: [string, "null"], format: date-time}
                  series:
                    type: array
                    items:
                      type: object
                      required: [sensor, station, metric, unit, points]
                      properties:
                        sensor: {type: integer}
                        station: {type: string}
                        metric: {type: string}
                        unit: {type: string}
                        points:
                          type: array
                          items:
                            type: object
                            required: [t, min, max, avg, sum, count]
                            properties:
                              t: {type: string, format: date-time}
                              min: {type: number}
                              max: {type: number}
                              avg: {type: number}
                              sum: {type: number}
                              count: {type: integer, minimum: 1}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/summary:
    get:
      summary: "Per unit and domain: station status counts, open alerts, highest water level against its alarm levels"
      description: Groups are the direct children of `unit` (the root units without it; the unit itself when it has no children), each over its whole subtree.
      parameters:
        - $ref: "#/components/parameters/Unit"
        - $ref: "#/components/parameters/Domain"
        - $ref: "#/components/parameters/StaleAfter"
      responses:
        "200":
          description: Summaries.
          content:
            application/json:
              schema:
                type: object
                required: [generated_at, unit, domain, stale_after_seconds, total, groups]
                properties:
                  generated_at: {type: string, format: date-time}
                  unit: {type: [string, "null"]}
                  domain: {type: [string, "null"]}
                  stale_after_seconds: {type: integer}
                  total:
                    description: The whole subtree of `unit`, including stations attached to it directly; null without `unit`.
                    oneOf:
                      - type: "null"
                      - $ref: "#/components/schemas/GroupSummary"
                  groups: {type: array, items: {$ref: "#/components/schemas/GroupSummary"}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/export:
    get:
      summary: "Open data: readings of a unit subtree, domain or station over a time range, streamed as CSV or JSON with station metadata"
      parameters:
        - $ref: "#/components/parameters/Unit"
        - $ref: "#/components/parameters/Domain"
        - {name: station, in: query, required: false, schema: {type: string}}
        - {name: from, in: query, required: true, schema: {type: string, format: date-time}}
        - {name: to, in: query, required: false, description: "Default now; at most 366 days after from.", schema: {type: string, format: date-time}}
        - {name: format, in: query, required: false, schema: {type: string, enum: [csv, json], default: csv}}
      responses:
        "200":
          description: "The readings, ordered by sensor then time. CSV columns: station_code, station_name, domain, unit_code, unit_name, lat, lon, sensor_id, metric, unit, ts, value."
          content:
            text/csv: {schema: {type: string}}
            application/json:
              schema:
                type: object
                required: [meta, readings]
                properties:
                  meta:
                    type: object
                    required: [generated_at, from, to, fields, stations]
                    properties:
                      generated_at: {type: string, format: date-time}
                      from: {type: string, format: date-time}
                      to: {type: string, format: date-time}
                      unit: {type: [string, "null"]}
                      domain: {type: [string, "null"]}
                      station: {type: [string, "null"]}
                      fields: {type: array, items: {type: string}}
                      stations:
                        type: array
                        items:
                          type: object
                          required: [code, name, domain, unit_code, unit_name, lat, lon, sensors]
                          properties:
                            code: {type: string}
                            name: {type: string}
                            domain: {type: string}
                            unit_code: {type: string}
                            unit_name: {type: string}
                            lat: {type: [number, "null"]}
                            lon: {type: [number, "null"]}
                            sensors:
                              type: array
                              items: {type: object, required: [id, metric, unit], properties: {id: {type: integer}, metric: {type: string}, unit: {type: string}}}
                  readings:
                    type: array
                    description: "[sensor id, time, value]"
                    items: {type: array, minItems: 3, maxItems: 3, items: {type: [integer, number, string]}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/live:
    get:
      summary: "The live feed: a WebSocket (upgrade this GET). Plain HTTP gets 426, or 400/404 for a bad subscription"
      description: |
        Subscribe by `unit` (subtree), `domain` and `station` (comma-separated lists); all given must hold.
        Text frames, JSON objects with `type`: `hello` (`last_event_id`, `server_time`); `snapshot` and
        `readings` (`readings`: [{sensor, station, metric, unit, value, ts}], coalesced per sensor, a few per
        second); `alert` (an `alert_events` row with its alert: id, alert_id, kind, from_state, to_state, state,
        severity, level, value, actor, message, at, rule_name, subject, subject_key, station_code, station_name,
        gateway_code, metric, unit, domain, opened_at); `heartbeat` (`server_time`, `last_event_id`) every 15 s.
        Reconnect with `last_event_id` to receive the alert events missed meanwhile.
      parameters:
        - $ref: "#/components/parameters/Unit"
        - {name: domain, in: query, required: false, description: "Comma-separated domains.", schema: {type: string}}
        - {name: station, in: query, required: false, description: "Comma-separated station codes.", schema: {type: string}}
        - {name: last_event_id, in: query, required: false, schema: {type: integer, minimum: 0}}
      responses:
        "101": {description: "Switching to the WebSocket protocol."}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "426": {description: "Not a WebSocket upgrade request.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
  /api/v1/dashboards:
    get:
      summary: Wall-display layouts
      responses:
        "200":
          description: Layouts in the dashboards directory.
          content:
            application/json:
              schema:
                type: object
                required: [dashboards]
                properties:
                  dashboards:
                    type: array
                    items:
                      type: object
                      required: [name, title_vi, title_en]
                      properties:
                        name: {type: string}
                        title_vi: {type: [string, "null"]}
                        title_en: {type: [string, "null"]}
  /api/v1/dashboards/{name}:
    get:
      summary: One layout, as stored
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: The layout JSON.
          content:
            application/json:
              schema:
                type: object
                required: [name, title_vi, title_en, widgets]
                properties:
                  name: {type: string}
                  title_vi: {type: string}
                  title_en: {type: string}
                  filters: {type: object}
                  widgets: {type: array, items: {type: object, required: [type, title_vi, title_en], properties: {type: {type: string}, title_vi: {type: string}, title_en: {type: string}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}

  /api/v1/rules:
    get:
      summary: Alert rules
      parameters:
        - {name: enabled, in: query, required: false, description: "true: only enabled rules.", schema: {type: string, enum: ["true", "false"]}}
      responses:
        "200":
          description: Rules by id.
          content:
            application/json:
              schema:
                type: object
                required: [rules]
                properties:
                  rules: {type: array, items: {$ref: "#/components/schemas/Rule"}}
        "503": {$ref: "#/components/responses/Unavailable"}
    post:
      summary: Create a rule (validated)
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Rule"}
      responses:
        "201": {description: "The stored rule.", content: {application/json: {schema: {$ref: "#/components/schemas/Rule"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "413": {$ref: "#/components/responses/TooLarge"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/rules/{id}:
    parameters:
      - $ref: "#/components/parameters/ID"
    get:
      summary: One rule
      responses:
        "200": {description: "The rule.", content: {application/json: {schema: {$ref: "#/components/schemas/Rule"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}
    put:
      summary: Replace a rule (validated)
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Rule"}
      responses:
        "200": {description: "The stored rule.", content: {application/json: {schema: {$ref: "#/components/schemas/Rule"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "413": {$ref: "#/components/responses/TooLarge"}
        "503": {$ref: "#/components/responses/Unavailable"}
    delete:
      summary: Delete a rule
      responses:
        "204": {description: "Deleted."}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/rules/{id}/enable:
    parameters:
      - $ref: "#/components/parameters/ID"
    post:
      summary: Enable a rule
      responses:
        "200": {description: "The rule.", content: {application/json: {schema: {$ref: "#/components/schemas/Rule"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/rules/{id}/disable:
    parameters:
      - $ref: "#/components/parameters/ID"
    post:
      summary: Disable a rule
      responses:
        "200": {description: "The rule.", content: {application/json: {schema: {$ref: "#/components/schemas/Rule"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}

  /api/v1/alerts:
    get:
      summary: Alerts, newest first, filtered
      parameters:
        - {name: state, in: query, required: false, description: "Comma-separated: open, pending, firing, acknowledged, resolved.", schema: {type: string}}
        - {name: severity, in: query, required: false, description: "Comma-separated: info, warning, critical.", schema: {type: string}}
        - {name: unit, in: query, required: false, schema: {type: string}}
        - {name: domain, in: query, required: false, schema: {type: string}}
        - {name: station, in: query, required: false, schema: {type: string}}
        - {name: gateway, in: query, required: false, description: "Alerts about the gateway or the stations it reports.", schema: {type: string}}
        - {name: subject, in: query, required: false, schema: {type: string, enum: [sensor, station, gateway]}}
        - {name: rule, in: query, required: false, schema: {type: integer, minimum: 1}}
        - {name: from, in: query, required: false, schema: {type: string, format: date-time}}
        - {name: to, in: query, required: false, schema: {type: string, format: date-time}}
        - {name: limit, in: query, required: false, schema: {type: integer, minimum: 1, maximum: 1000}}
        - {name: before, in: query, required: false, description: "next_before of the previous page.", schema: {type: integer, minimum: 1}}
      responses:
        "200":
          description: A page of alerts.
          content:
            application/json:
              schema:
                type: object
                required: [alerts]
                properties:
                  alerts: {type: array, items: {$ref: "#/components/schemas/Alert"}}
                  next_before: {type: integer, description: "Present when there may be more."}
        "400": {$ref: "#/components/responses/BadRequest"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/alerts/{id}:
    parameters:
      - $ref: "#/components/parameters/ID"
    get:
      summary: One alert with its events and notifications
      responses:
        "200":
          description: The alert.
          content:
            application/json:
              schema:
                type: object
                required: [alert, events, notifications]
                properties:
                  alert: {$ref: "#/components/schemas/Alert"}
                  events: {type: array, items: {$ref: "#/components/schemas/AlertEvent"}}
                  notifications: {type: array, items: {$ref: "#/components/schemas/Notification"}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/alerts/{id}/acknowledge:
    parameters:
      - $ref: "#/components/parameters/ID"
    post:
      summary: Acknowledge an alert
      requestBody: {$ref: "#/components/requestBodies/Actor"}
      responses:
        "200": {description: "The alert.", content: {application/json: {schema: {$ref: "#/components/schemas/Alert"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
        "413": {$ref: "#/components/responses/TooLarge"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/alerts/{id}/resolve:
    parameters:
      - $ref: "#/components/parameters/ID"
    post:
      summary: Resolve an alert by hand
      requestBody: {$ref: "#/components/requestBodies/Actor"}
      responses:
        "200": {description: "The alert.", content: {application/json: {schema: {$ref: "#/components/schemas/Alert"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
        "413": {$ref: "#/components/responses/TooLarge"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/alerts/{id}/assign:
    parameters:
      - $ref: "#/components/parameters/ID"
    post:
      summary: Assign an alert (assignee null or empty unassigns)
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [by]
              properties:
                by: {type: string}
                assignee: {type: [string, "null"]}
      responses:
        "200": {description: "The alert.", content: {application/json: {schema: {$ref: "#/components/schemas/Alert"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "413": {$ref: "#/components/responses/TooLarge"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/alerts/{id}/comments:
    parameters:
      - $ref: "#/components/parameters/ID"
    post:
      summary: Comment on an alert
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [by, text]
              properties:
                by: {type: string}
                text: {type: string, maxLength: 4000}
      responses:
        "201": {description: "The alert's events.", content: {application/json: {schema: {type: array, items: {$ref: "#/components/schemas/AlertEvent"}}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "413": {$ref: "#/components/responses/TooLarge"}
        "503": {$ref: "#/components/responses/Unavailable"}

  /api/v1/silences:
    get:
      summary: Silences (current ones unless current=false)
      parameters:
        - {name: current, in: query, required: false, schema: {type: string, enum: ["true", "false"]}}
      responses:
        "200":
          description: Silences.
          content:
            application/json:
              schema:
                type: object
                required: [silences]
                properties:
                  silences: {type: array, items: {$ref: "#/components/schemas/Silence"}}
        "503": {$ref: "#/components/responses/Unavailable"}
    post:
      summary: Create a silence
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Silence"}
      responses:
        "201": {description: "The silence.", content: {application/json: {schema: {$ref: "#/components/schemas/Silence"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "413": {$ref: "#/components/responses/TooLarge"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/silences/{id}:
    parameters:
      - $ref: "#/components/parameters/ID"
    get:
      summary: One silence
      responses:
        "200": {description: "The silence.", content: {application/json: {schema: {$ref: "#/components/schemas/Silence"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}
    delete:
      summary: End a silence now (it stays on record)
      responses:
        "200": {description: "The silence.", content: {application/json: {schema: {$ref: "#/components/schemas/Silence"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}

\#(collectionPaths("/api/v1/contacts", list: "Contacts", noun: "a contact", short: "contact", schema: "Contact", listResponse: "ContactList"))
\#(collectionPaths("/api/v1/rotas", list: "On-call rotas", noun: "a rota", short: "rota", schema: "Rota", listResponse: "RotaList"))
  /api/v1/rotas/{id}/on-call:
    parameters:
      - $ref: "#/components/parameters/ID"
    get:
      summary: Who is on call in a rota at a time (now by default)
      parameters:
        - {name: at, in: query, required: false, schema: {type: string, format: date-time}}
      responses:
        "200":
          description: The member on call, or null.
          content:
            application/json:
              schema:
                type: object
                required: [rota, at]
                properties:
                  rota: {type: string}
                  at: {type: string, format: date-time}
                  on_call: {type: string}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/Unavailable"}
\#(collectionPaths("/api/v1/escalation-policies", list: "Escalation policies", noun: "an escalation policy", short: "policy", schema: "EscalationPolicy", listResponse: "PolicyList"))
  /api/v1/tokens:
    get:
      summary: API tokens (admin), never their secrets
      responses:
        "200":
          description: Every token, revoked ones too.
          content:
            application/json:
              schema:
                type: object
                required: [tokens]
                properties:
                  tokens: {type: array, items: {$ref: "#/components/schemas/Token"}}
        "503": {$ref: "#/components/responses/Unavailable"}
    post:
      summary: Create a token (admin); its secret is in this answer only
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name, role]
              properties:
                name: {type: string, pattern: "^[A-Za-z0-9._-]{1,64}$"}
                role: {type: string, enum: [display, viewer, operator, admin]}
                unit: {type: [string, "null"], description: "An administrative unit code: the token sees only that unit's subtree (stations, sensors, readings, summaries, exports, alerts, silences, the live feed) and is refused (403) the province-wide routes. Not for admin tokens (400)."}
                expires_days: {type: [integer, "null"], minimum: 1, maximum: 3650}
      responses:
        "201":
          description: The token and its secret, shown once.
          content:
            application/json:
              schema:
                type: object
                required: [token, secret]
                properties:
                  token: {$ref: "#/components/schemas/Token"}
                  secret: {type: string, description: "ioc_ and 43 base64url characters; send it as Authorization: Bearer …"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "413": {$ref: "#/components/responses/TooLarge"}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/tokens/{name}:
    parameters:
      - {name: name, in: path, required: true, schema: {type: string}}
    delete:
      summary: Revoke a token (admin); it stays listed with revoked_at
      responses:
        "200": {description: "The revoked token.", content: {application/json: {schema: {$ref: "#/components/schemas/Token"}}}}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {description: "The request is made with this very token.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        "503": {$ref: "#/components/responses/Unavailable"}
  /api/v1/gateways:
    get:
      summary: Gateways (admin) with the state of their broker accounts
      responses:
        "200":
          description: Every registered gateway. broker_account is unknown for all when the broker does not answer.
          content:
            application/json:
              schema:
                type: object
                required: [gateways]
                properties:
                  gateways: {type: array, items: {$ref: "#/components/schemas/Gateway"}}
        "503": {$ref: "#/components/responses/Unavailable"}
    post:
      summary: Register a gateway and create its broker account (admin); its password is in this answer only
      description: |
        The gateway's MQTT user name is its code; it may publish only under ioc/v1/{code}/#. A gateway
        a registry import created (without a broker account) is adopted. If the broker fails after
        the gateway is registered (503), the gateway stays registered without an account: post again.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [code, unit]
              properties:
                code: {type: string, pattern: "^[A-Za-z0-9._-]{1,64}$"}
                unit: {type: string, minLength: 1, maxLength: 64, description: "An administrative unit code."}
                name: {type: [string, "null"], maxLength: 200}
      responses:
        "201": {$ref: "#/components/responses/GatewayWithPassword"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "409": {description: "The broker already has an account for this gateway: rotate its password instead.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        "413": {$ref: "#/components/responses/TooLarge"}
        "502": {$ref: "#/components/responses/BrokerRefused"}
        "503": {$ref: "#/components/responses/BrokerUnavailable"}
  /api/v1/gateways/{code}/rotate:
    parameters:
      - {name: code, in: path, required: true, schema: {type: string}}
    post:
      summary: Give the gateway a new broker password (admin), shown in this answer only; the old one stops working at once
      responses:
        "200": {$ref: "#/components/responses/GatewayWithPassword"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {description: "The gateway has no broker account: POST /api/v1/gateways creates it.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        "502": {$ref: "#/components/responses/BrokerRefused"}
        "503": {$ref: "#/components/responses/BrokerUnavailable"}
\#(gatewayActionPath("disable", summary: "Disable a gateway (admin); the broker disconnects it and refuses it, ingest ignores it"))
\#(gatewayActionPath("enable", summary: "Enable a gateway (admin); it may connect again with its password"))
  /api/v1/audit:
    get:
      summary: The audit log (admin), newest first
      description: Every change of rules, silences, contacts, rotas, escalation policies, tokens and gateways and every operator action on an alert, through the API (actor = the token's name) or the CLI (actor = cli:USER). Append-only.
      parameters:
        - {name: actor, in: query, required: false, schema: {type: string}}
        - {name: action, in: query, required: false, description: "create, update, delete, enable, disable, revoke, end, import, provision, rotate, acknowledge, resolve, assign, comment", schema: {type: string}}
        - {name: entity, in: query, required: false, description: "rule, silence, contact, rota, escalation_policy, token, alert, rules, paging", schema: {type: string}}
        - {name: key, in: query, required: false, description: "The entity's id or name.", schema: {type: string}}
        - {name: from, in: query, required: false, schema: {type: string, format: date-time}}
        - {name: to, in: query, required: false, schema: {type: string, format: date-time}}
        - {name: limit, in: query, required: false, schema: {type: integer, minimum: 1, maximum: 1000}}
        - {name: before, in: query, required: false, description: "next_before of the previous page.", schema: {type: integer, minimum: 1}}
      responses:
        "200":
          description: Entries, newest first.
          content:
            application/json:
              schema:
                type: object
                required: [entries, next_before]
                properties:
                  next_before: {type: [integer, "null"]}
                  entries:
                    type: array
                    items:
                      type: object
                      required: [id, at, actor, action, entity, key, before, after]
                      properties:
                        id: {type: integer}
                        at: {type: string, format: date-time}
                        actor: {type: string}
                        action: {type: string}
                        entity: {type: string}
                        key: {type: string}
                        before: {description: "The entity before the change; null when it did not exist."}
                        after: {description: "The entity after the change; null when it no longer exists."}
        "400": {$ref: "#/components/responses/BadRequest"}
        "503": {$ref: "#/components/responses/Unavailable"}

components:
  securitySchemes:
    bearer:
      type: http
      scheme: bearer
      description: |
        An API token (`ioc token create`, or POST /api/v1/tokens). Roles: display (what wall
        displays read), viewer (read), operator (viewer + acknowledge, resolve, assign, comment,
        silence), admin (everything). On /api/v1/live, browsers may pass it as `access_token`.
  parameters:
    ID: {name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
    Unit: {name: unit, in: query, required: false, description: "An administrative unit code; its whole subtree is included.", schema: {type: string}}
    Domain: {name: domain, in: query, required: false, description: "e.g. hydrology, rain, reservoir, air, traffic.", schema: {type: string}}
    Status: {name: status, in: query, required: false, schema: {type: string, enum: [online, offline, stale, unknown]}}
    StaleAfter: {name: stale_after_seconds, in: query, required: false, description: "Staleness threshold for this request (server default 900).", schema: {type: integer, minimum: 60, maximum: 604800}}
  requestBodies:
    Actor:
      required: true
      content:
        application/json:
          schema:
            type: object
            required: [by]
            properties:
              by: {type: string, minLength: 1, maxLength: 200}
              comment: {type: string}
  responses:
    Unauthorized: {description: "No token, or one that is unknown, expired or revoked (with WWW-Authenticate: Bearer).", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    Forbidden: {description: "The token's role may not do this, or the token is limited to an administrative unit and the route is province-wide (or, for a silence, reaches outside its unit).", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    BadRequest: {description: "A parameter or body is wrong; the message says what to fix.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    NotFound: {description: "The named unit, station, sensor, layout or resource does not exist.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    Conflict: {description: "The alert is not in a state that allows this.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    TooLarge: {description: "The body is over the limit (IOC_HTTP_MAX_BODY_BYTES, 1 MiB by default).", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    TooManyRequests: {description: "Over the token's rate limit (or the address's, without a valid token); Retry-After says when to try again.", headers: {Retry-After: {description: "Seconds to wait.", schema: {type: integer, minimum: 1}}}, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    Unavailable: {description: "PostgreSQL could not be reached or answered with an error.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    BrokerUnavailable: {description: "PostgreSQL or the broker could not be reached, or the broker did not answer in time; the message says which and what state is left.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    BrokerRefused: {description: "The broker's dynamic-security plugin refused the change.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    GatewayWithPassword:
      description: The gateway and its broker password, shown once.
      content:
        application/json:
          schema:
            type: object
            required: [gateway, password]
            properties:
              gateway: {$ref: "#/components/schemas/Gateway"}
              password: {type: string, description: "48 hex digits; the gateway's MQTT password (user name: its code)."}
    ContactList: {description: "Contacts.", content: {application/json: {schema: {type: object, required: [items], properties: {items: {type: array, items: {$ref: "#/components/schemas/Contact"}}}}}}}
    RotaList: {description: "Rotas.", content: {application/json: {schema: {type: object, required: [items], properties: {items: {type: array, items: {$ref: "#/components/schemas/Rota"}}}}}}}
    PolicyList: {description: "Escalation policies.", content: {application/json: {schema: {type: object, required: [items], properties: {items: {type: array, items: {$ref: "#/components/schemas/EscalationPolicy"}}}}}}}
  schemas:
    Gateway:
      type: object
      required: [code, name, unit, enabled, status, last_seen_at, broker_account, created_at, updated_at]
      properties:
        code: {type: string}
        name: {type: string}
        unit: {type: [string, "null"]}
        enabled: {type: boolean}
        status: {type: string, enum: [unknown, online, offline]}
        last_seen_at: {type: [string, "null"], format: date-time}
        broker_account: {type: string, enum: [active, disabled, missing, unknown], description: "missing: no broker account, the gateway cannot connect; unknown: the broker did not answer."}
        created_at: {type: string, format: date-time}
        updated_at: {type: string, format: date-time}
    Token:
      type: object
      required: [name, role, unit, prefix, created_at, expires_at, last_used_at, revoked_at, valid]
      properties:
        name: {type: string}
        role: {type: string, enum: [display, viewer, operator, admin]}
        unit: {type: [string, "null"]}
        prefix: {type: string, description: "The token's first 12 characters, to recognise it."}
        created_at: {type: string, format: date-time}
        expires_at: {type: [string, "null"], format: date-time}
        last_used_at: {type: [string, "null"], format: date-time, description: "Updated at most once a minute."}
        revoked_at: {type: [string, "null"], format: date-time}
        valid: {type: boolean}
    Error:
      type: object
      required: [error]
      properties:
        error:
          type: object
          required: [code, message]
          properties:
            code: {type: string, description: "Stable: invalid_parameter, invalid_name, not_found, too_many_points, invalid_rule, invalid_filter, storage_unavailable, …"}
            message: {type: string}
            field: {type: string, description: "The parameter or body field at fault."}
    Readiness:
      type: object
      required: [ready]
      properties:
        ready: {type: boolean}
      additionalProperties: {type: boolean}
    UnitNode:
      type: object
      required: [code, name, level, children]
      properties:
        code: {type: string}
        name: {type: string}
        level: {type: string}
        children: {type: array, items: {$ref: "#/components/schemas/UnitNode"}}
    StationFields:
      type: object
      required: [code, name, domain, unit, gateway, lat, lon, status, last_reading_at]
      properties:
        code: {type: string}
        name: {type: string}
        domain: {type: string}
        unit: {type: string, description: "Code of the station's administrative unit."}
        gateway: {type: [string, "null"]}
        lat: {type: [number, "null"]}
        lon: {type: [number, "null"]}
        status: {type: string, enum: [online, offline, stale, unknown]}
        last_reading_at: {type: [string, "null"], format: date-time}
    Station:
      allOf:
        - $ref: "#/components/schemas/StationFields"
        - type: object
          required: [attributes, sensors]
          properties:
            attributes: {type: object, description: "Free-form, e.g. {\"alarm_levels\": {\"I\": 1.7, \"II\": 2.7, \"III\": 3.7}}."}
            sensors:
              type: array
              items:
                type: object
                required: [id, metric, unit]
                properties:
                  id: {type: integer}
                  metric: {type: string}
                  unit: {type: string}
    GroupSummary:
      type: object
      required: [unit, domains]
      properties:
        unit:
          type: object
          required: [code, name, level]
          properties:
            code: {type: string}
            name: {type: string}
            level: {type: string}
        domains: {type: array, items: {$ref: "#/components/schemas/DomainSummary"}}
    DomainSummary:
      type: object
      required: [domain, stations, open_alerts, highest_water_level, worst_aqi_band]
      properties:
        domain: {type: string}
        stations:
          type: object
          required: [online, offline, stale, unknown, total]
          properties:
            online: {type: integer}
            offline: {type: integer}
            stale: {type: integer}
            unknown: {type: integer}
            total: {type: integer}
        open_alerts:
          type: object
          required: [info, warning, critical, total]
          properties:
            info: {type: integer}
            warning: {type: integer}
            critical: {type: integer}
            total: {type: integer}
        highest_water_level:
          description: The most alarming water level (highest alarm level reached, then closest to the next) among stations with alarm_levels I/II/III; null when there is none.
          oneOf:
            - type: "null"
            - type: object
              required: [station, name, sensor, value, ts, level_reached, next_level, margin_to_next, alarm_levels]
              properties:
                station: {type: string}
                name: {type: string}
                sensor: {type: integer}
                value: {type: number}
                ts: {type: string, format: date-time}
                level_reached: {type: [string, "null"], enum: [I, II, III, null]}
                next_level: {type: [string, "null"], enum: [I, II, III, null]}
                margin_to_next: {type: [number, "null"], description: "How far the value still is below the next level (metres)."}
                alarm_levels:
                  type: object
                  required: [I, II, III]
                  properties:
                    I: {type: number}
                    II: {type: number}
                    III: {type: number}
        worst_aqi_band:
          description: The highest hourly VN_AQI (derived sensor vn_aqi, Decision 1459/QĐ-TCMT) of the last 3 hours among the domain's stations, with its band; null when there is none.
          oneOf:
            - type: "null"
            - type: object
              required: [aqi, level, code, name_vi, name_en, colour, station, name, sensor, ts]
              properties:
                aqi: {type: integer, minimum: 0}
                level: {type: integer, minimum: 1, maximum: 6}
                code: {type: string, enum: [good, moderate, poor, bad, very_bad, hazardous]}
                name_vi: {type: string}
                name_en: {type: string}
                colour: {type: string, pattern: "^#[0-9A-F]{6}$"}
                station: {type: string}
                name: {type: string}
                sensor: {type: integer}
                ts: {type: string, format: date-time}
    Rule:
      type: object
      required: [name, severity, scope, condition]
      properties:
        id: {type: integer}
        name: {type: string}
        enabled: {type: boolean}
        severity: {type: string, enum: [info, warning, critical]}
        for_seconds: {type: number}
        labels: {type: object, additionalProperties: {type: string}}
        scope:
          type: object
          required: [kind]
          properties:
            kind: {type: string, enum: [sensor, station, metric, gateway, all]}
            id: {type: integer}
            code: {type: string}
            metric: {type: string}
            name: {type: string}
            domain: {type: string}
            unit_code: {type: string}
        condition:
          type: object
          required: [kind]
          description: "kind levels (direction, levels, hysteresis), rate_of_change (delta, window_seconds, direction), window (function, window_seconds, comparison, threshold, clear_threshold), no_data (after_seconds, per: sensor, station or gateway)."
          properties:
            kind: {type: string, enum: [levels, rate_of_change, window, no_data]}
            per: {type: string, enum: [sensor, station, gateway]}
    Alert:
      type: object
      description: "An alert about a sensor, a whole station (no-data per station: no sensor_id, metric or unit) or a gateway (no station either)."
      required: [id, rule_name, subject, subject_key, condition, unit_path, labels, state, severity, value, opened_at, updated_at]
      properties:
        id: {type: integer}
        rule_id: {type: integer}
        rule_name: {type: string}
        subject: {type: string, enum: [sensor, station, gateway]}
        subject_key: {type: string, description: "The sensor id, station code or gateway code."}
        condition: {type: string, description: "The rule's condition kind when the alert opened (levels, rate_of_change, window, no_data)."}
        gateway_code: {type: string}
        gateway_name: {type: string}
        sensor_id: {type: integer}
        station_code: {type: string}
        station_name: {type: string}
        metric: {type: string}
        unit: {type: string}
        domain: {type: string}
        unit_path: {type: array, items: {type: string}}
        labels: {type: object, additionalProperties: {type: string}}
        state: {type: string, enum: [pending, firing, acknowledged, resolved]}
        severity: {type: string, enum: [info, warning, critical]}
        level: {type: string}
        value: {type: number}
        opened_at: {type: string, format: date-time}
        fired_at: {type: string, format: date-time}
        acknowledged_at: {type: string, format: date-time}
        acknowledged_by: {type: string}
        resolved_at: {type: string, format: date-time}
        resolved_by: {type: string}
        resolution: {type: string}
        assignee: {type: string}
        updated_at: {type: string, format: date-time}
    AlertEvent:
      type: object
      required: [id, alert_id, at, kind, message]
      properties:
        id: {type: integer}
        alert_id: {type: integer}
        at: {type: string, format: date-time}
        kind: {type: string}
        from_state: {type: string}
        to_state: {type: string}
        severity: {type: string}
        level: {type: string}
        value: {type: number}
        actor: {type: string}
        message: {type: string}
    Notification:
      type: object
      required: [id, kind, channel, subject, status, attempts, next_attempt_at, created_at, deliveries]
      properties:
        id: {type: integer}
        alert_id: {type: integer}
        kind: {type: string}
        policy: {type: string}
        step: {type: integer}
        contact: {type: string}
        channel: {type: string, enum: [webhook, email, sms, telegram]}
        address: {type: string, description: "Where it went (personal data): in answers to admin tokens only."}
        subject: {type: string}
        status: {type: string, enum: [pending, sent, failed, suppressed]}
        attempts: {type: integer}
        next_attempt_at: {type: string, format: date-time}
        last_error: {type: string}
        created_at: {type: string, format: date-time}
        sent_at: {type: string, format: date-time}
        deliveries:
          type: array
          items:
            type: object
            required: [at, ok, detail, duration_ms]
            properties:
              at: {type: string, format: date-time}
              ok: {type: boolean}
              detail: {type: string}
              duration_ms: {type: number}
    Silence:
      type: object
      required: [matchers, starts_at, ends_at, created_by]
      properties:
        id: {type: integer}
        matchers:
          type: object
          properties:
            rule: {type: string}
            station: {type: string}
            metric: {type: string}
            unit: {type: string}
            labels: {type: object, additionalProperties: {type: string}}
        starts_at: {type: string, format: date-time}
        ends_at: {type: string, format: date-time}
        created_by: {type: string}
        comment: {type: string}
    Contact:
      type: object
      required: [name, channels]
      properties:
        id: {type: integer}
        name: {type: string}
        language: {type: string, enum: [vi, en]}
        channels:
          type: array
          items:
            type: object
            required: [type]
            properties:
              type: {type: string, enum: [webhook, email, sms, telegram]}
              url: {type: string}
              secret: {type: string}
              address: {type: string}
              phone: {type: string}
              chat_id: {type: string}
    Rota:
      type: object
      required: [name, members]
      properties:
        id: {type: integer}
        name: {type: string}
        members: {type: array, items: {type: string}}
        rotation_hours: {type: number}
        handoff_time: {type: string, description: "Local HH:mm."}
        time_zone: {type: string}
        start_date: {type: string, description: "YYYY-MM-DD."}
        overrides:
          type: array
          items:
            type: object
            required: [member, from, to]
            properties:
              member: {type: string}
              from: {type: string, format: date-time}
              to: {type: string, format: date-time}
    EscalationPolicy:
      type: object
      required: [name, steps]
      properties:
        id: {type: integer}
        name: {type: string}
        enabled: {type: boolean}
        match:
          type: object
          properties:
            units: {type: array, items: {type: string}}
            domains: {type: array, items: {type: string}}
            min_severity: {type: string, enum: [info, warning, critical]}
        steps:
          type: array
          items:
            type: object
            required: [targets]
            properties:
              after_minutes: {type: number}
              targets:
                type: array
                items:
                  type: object
                  properties:
                    contact: {type: string}
                    rota: {type: string}
                    channels: {type: array, items: {type: string}}
        repeat: {type: integer}
        repeat_after_minutes: {type: number}
"""#

    /// Paths that need no token.
    static let openPaths: Set = ["/healthz", "/readyz", "/openapi.yaml"]

    /// `document` with its security: open paths say `security: []`, `/metrics` either, and every
    /// other operation lists the 401 and 403 answers; every operation may be rate-limited (429).
    static func secured(_ document: String) -> String {
        var lines: [Substring] = []
        var path: Substring?
        var inPaths = false
        for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true } else if line == "components:" { inPaths = false }
            if inPaths, line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") { path = line.dropFirst(2).dropLast() }
            guard inPaths, line == "      responses:", let path else {
                lines.append(line)
                continue
            }
            if openPaths.contains(String(path)) {
                lines.append("      security: []")
                lines.append(line)
            } else if path == "/metrics" {
                lines.append("      security: [{}, {bearer: []}]")
                lines.append(line)
            } else {
                lines.append(line)
                lines.append("        \"401\": {$ref: \"#/components/responses/Unauthorized\"}")
                lines.append("        \"403\": {$ref: \"#/components/responses/Forbidden\"}")
            }
            lines.append("        \"429\": {$ref: \"#/components/responses/TooManyRequests\"}")
        }
        return lines.joined(separator: "\n")
    }

    /// The paths of a configuration collection (contacts, rotas, escalation policies): list and
    /// create at `path`, read, replace and delete at `path/{id}`, all answering alike.
    /// `POST /api/v1/gateways/{code}/ACTION`, answering the gateway.
    static func gatewayActionPath(_ action: String, summary: String) -> String {
        """
          /api/v1/gateways/{code}/\(action):
            parameters:
              - {name: code, in: path, required: true, schema: {type: string}}
            post:
              summary: \(summary)
              responses:
                "200": {description: "The gateway.", content: {application/json: {schema: {$ref: "#/components/schemas/Gateway"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "404": {$ref: "#/components/responses/NotFound"}
                "502": {$ref: "#/components/responses/BrokerRefused"}
                "503": {$ref: "#/components/responses/BrokerUnavailable"}
        """
    }

    static func collectionPaths(_ path: String, list: String, noun: String, short: String, schema: String, listResponse: String) -> String {
        let one = noun.split(separator: " ", maxSplits: 1).last.map(String.init) ?? noun
        let ref = "{$ref: \"#/components/schemas/\(schema)\"}"
        let body = "{required: true, content: {application/json: {schema: \(ref)}}}"
        let item = "content: {application/json: {schema: \(ref)}}"
        return """
          \(path):
            get:
              summary: \(list)
              responses:
                "200": {$ref: "#/components/responses/\(listResponse)"}
                "503": {$ref: "#/components/responses/Unavailable"}
            post:
              summary: Create \(noun)
              requestBody: \(body)
              responses:
                "201": {description: "The \(short).", \(item)}
                "400": {$ref: "#/components/responses/BadRequest"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "503": {$ref: "#/components/responses/Unavailable"}
          \(path)/{id}:
            parameters:
              - $ref: "#/components/parameters/ID"
            get:
              summary: One \(one)
              responses:
                "200": {description: "The \(short).", \(item)}
                "400": {$ref: "#/components/responses/BadRequest"}
                "404": {$ref: "#/components/responses/NotFound"}
                "503": {$ref: "#/components/responses/Unavailable"}
            put:
              summary: Replace \(noun)
              requestBody: \(body)
              responses:
                "200": {description: "The \(short).", \(item)}
                "400": {$ref: "#/components/responses/BadRequest"}
                "404": {$ref: "#/components/responses/NotFound"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "503": {$ref: "#/components/responses/Unavailable"}
            delete:
              summary: Delete \(noun)
              responses:
                "204": {description: "Deleted."}
                "400": {$ref: "#/components/responses/BadRequest"}
                "404": {$ref: "#/components/responses/NotFound"}
                "503": {$ref: "#/components/responses/Unavailable"}
        """
    }
}
