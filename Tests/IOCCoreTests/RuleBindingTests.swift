import IOCCore
import Testing

@Suite("Which sensors a rule covers, and their stations' thresholds")
struct RuleBindingTests {
    typealias Rule = AlertRule

    // Phú Lâm has all three alarm levels, Hà Bằng only II and III, Bàn Thạch none; a rain gauge and
    // an air station beside them, in two districts of the province PY.
    static let sensors = [
        SensorContext(sensorID: 1, stationCode: "PY-SBA-PHULAM", metric: "water_level", domain: "hydrology", unitPath: ["PY-TUYHOA", "PY"],
                      attributes: ["alarm_levels.I": 1.7, "alarm_levels.II": 2.7, "alarm_levels.III": 3.7], gatewayCode: "GW-1"),
        SensorContext(sensorID: 2, stationCode: "PY-KYLO-HABANG", metric: "water_level", domain: "hydrology", unitPath: ["PY-DONGXUAN", "PY"],
                      attributes: ["alarm_levels.II": 8.5, "alarm_levels.III": 9.5], gatewayCode: "GW-2"),
        SensorContext(sensorID: 3, stationCode: "PY-BANTHACH", metric: "water_level", domain: "hydrology", unitPath: ["PY-DONGHOA", "PY"]),
        SensorContext(sensorID: 4, stationCode: "PY-RAIN-1", metric: "rain", domain: "rain", unitPath: ["PY-TUYHOA", "PY"], gatewayCode: "GW-1"),
        SensorContext(sensorID: 5, stationCode: "PY-AIR-1", metric: "pm2_5", domain: "air", unitPath: ["PY-TUYHOA", "PY"], gatewayCode: "GW-1"),
        SensorContext(sensorID: 6, stationCode: "PY-AIR-1", metric: "pm10", domain: "air", unitPath: ["PY-TUYHOA", "PY"], gatewayCode: "GW-1"),
    ]

    static let noData = Rule.Condition.noData(.init(afterSeconds: 1800))

    @Test("scopes select sensors", arguments: [
        (Rule.Scope.sensor(id: 4), [Int32(4)]),
        (.sensor(id: 99), []),
        (.station(code: "PY-AIR-1", metric: nil), [5, 6]),
        (.station(code: "PY-AIR-1", metric: "pm10"), [6]),
        (.metric(name: "water_level", domain: nil, unitCode: nil), [1, 2, 3]),
        (.metric(name: "water_level", domain: "hydrology", unitCode: "PY-DONGXUAN"), [2]),
        (.metric(name: "water_level", domain: "hydrology", unitCode: "PY"), [1, 2, 3]),
        (.metric(name: "water_level", domain: "reservoir", unitCode: nil), []),
        (.metric(name: "pm2_5", domain: nil, unitCode: "PY-TUYHOA"), [5]),
        (.gateway(code: "GW-1"), [1, 4, 5, 6]),
        (.gateway(code: "GW-9"), []),
        (.all(domain: nil, unitCode: nil), [1, 2, 3, 4, 5, 6]),
        (.all(domain: "air", unitCode: nil), [5, 6]),
        (.all(domain: nil, unitCode: "PY-DONGXUAN"), [2]),
    ] as [(Rule.Scope, [Int32])])
    func scopes(scope: Rule.Scope, expected: [Int32]) {
        let rule = Rule(name: "r", severity: .warning, scope: scope, condition: Self.noData)
        #expect(RuleBinding.bind(rules: [rule], sensors: Self.sensors).map(\.sensorID) == expected)
        #expect(Self.sensors.filter { scope.matches($0) }.map(\.sensorID) == expected)
    }

    @Test("one flood-level rule takes each station's own levels, and skips a station that has none")
    func floodLevels() {
        let rule = Rule(name: "flood", severity: .warning, scope: .metric(name: "water_level", domain: "hydrology", unitCode: nil),
                        condition: .levels(.init(direction: .above, levels: ["I", "II", "III"].map { name in
                            .init(name: name, severity: name == "III" ? .critical : .warning, threshold: .attribute("alarm_levels.\(name)"))
                        }, hysteresis: 0.1)))
        let bindings = RuleBinding.bind(rules: [rule], sensors: Self.sensors)
        #expect(bindings.map(\.sensorID) == [1, 2], "Bàn Thạch has no alarm levels")
        #expect(bindings[0].thresholds == [1.7, 2.7, 3.7])
        #expect(bindings[1].thresholds == [nil, 8.5, 9.5], "level I is not known for Hà Bằng")
    }

    @Test("disabled rules bind nothing; each binding names its rule")
    func disabledAndIndex() {
        var off = Rule(name: "off", severity: .info, scope: .metric(name: "rain", domain: nil, unitCode: nil), condition: Self.noData)
        off.enabled = false
        let on = Rule(name: "on", severity: .info, scope: .metric(name: "rain", domain: nil, unitCode: nil), condition: Self.noData)
        let bindings = RuleBinding.bind(rules: [off, on], sensors: Self.sensors)
        #expect(bindings == [RuleBinding(ruleIndex: 1, sensorID: 4, thresholds: [])])
    }

    static func silent(_ per: Rule.NoData.Per) -> Rule.Condition { .noData(.init(afterSeconds: 900, per: per)) }

    @Test("no-data rules per station or gateway make one group each, with the group's sensors in scope", arguments: [
        (Rule.Scope.station(code: "PY-AIR-1", metric: nil), Rule.NoData.Per.station, ["station PY-AIR-1: 5 6"]),
        (.station(code: "PY-AIR-1", metric: "pm10"), .station, ["station PY-AIR-1: 6"]),
        (.metric(name: "water_level", domain: "hydrology", unitCode: nil), .station,
         ["station PY-BANTHACH: 3", "station PY-KYLO-HABANG: 2", "station PY-SBA-PHULAM: 1"]),
        // Bàn Thạch has no gateway: it is in no gateway group.
        (.metric(name: "water_level", domain: nil, unitCode: nil), .gateway, ["gateway GW-1: 1", "gateway GW-2: 2"]),
        (.gateway(code: "GW-1"), .gateway, ["gateway GW-1: 1 4 5 6"]),
        // A registered gateway with no stations is still watched, by its own status.
        (.gateway(code: "GW-EMPTY"), .gateway, ["gateway GW-EMPTY: "]),
        (.gateway(code: "GW-UNKNOWN"), .gateway, []),
        (.gateway(code: "GW-1"), .station, ["station PY-AIR-1: 5 6", "station PY-RAIN-1: 4", "station PY-SBA-PHULAM: 1"]),
        (.all(domain: nil, unitCode: "PY-TUYHOA"), .station, ["station PY-AIR-1: 5 6", "station PY-RAIN-1: 4", "station PY-SBA-PHULAM: 1"]),
        // Every gateway with a station in scope, and GW-EMPTY, which has none, is not named by the scope.
        (.all(domain: nil, unitCode: nil), .gateway, ["gateway GW-1: 1 4 5 6", "gateway GW-2: 2"]),
    ] as [(Rule.Scope, Rule.NoData.Per, [String])])
    func groups(scope: Rule.Scope, per: Rule.NoData.Per, expected: [String]) {
        let rule = Rule(name: "silent", severity: .warning, scope: scope, condition: Self.silent(per))
        let groups = GroupBinding.bind(rules: [rule], sensors: Self.sensors, gateways: ["GW-1", "GW-2", "GW-EMPTY"])
        let shown = groups.map { group in
            let kind = if case .station = group.subject { "station" } else { "gateway" }
            return "\(kind) \(group.subject.code): " + group.sensorIDs.map(String.init).joined(separator: " ")
        }
        #expect(shown == expected)
        #expect(RuleBinding.bind(rules: [rule], sensors: Self.sensors).isEmpty, "a grouped rule binds no single sensor")
    }

    @Test("a no-data rule per sensor binds each sensor and makes no group")
    func perSensor() {
        let rule = Rule(name: "silent", severity: .warning, scope: .station(code: "PY-AIR-1", metric: nil), condition: Self.silent(.sensor))
        #expect(RuleBinding.bind(rules: [rule], sensors: Self.sensors).map(\.sensorID) == [5, 6])
        #expect(GroupBinding.bind(rules: [rule], sensors: Self.sensors, gateways: ["GW-1"]).isEmpty)
    }
}
