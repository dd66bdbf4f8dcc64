import IOCCore
import Testing

@Suite("MessageRoute.parse")
struct MessageRouteTests {
    @Test(arguments: [
        ("ioc/v1/GW-1/senml", MessageRoute.senml(gateway: "GW-1")),
        ("ioc/v1/GW-1/json", .json(gateway: "GW-1")),
        ("ioc/v1/GW-1/status", .status(gateway: "GW-1")),
        ("ioc/v1/GW-1/raw/PY-A/water_level", .raw(gateway: "GW-1", station: "PY-A", metric: "water_level")),
        ("ioc/v1/gw.hanoi-07/raw/urn:dev:x/temp", .raw(gateway: "gw.hanoi-07", station: "urn:dev:x", metric: "temp")),
    ])
    func validTopics(topic: String, route: MessageRoute) throws {
        #expect(try MessageRoute.parse(topic: topic).get() == route)
        #expect(route.gateway == MessageRoute.parse(topic: topic).map(\.gateway).value)
    }

    @Test(arguments: [
        ("", "expected ioc/v1/{gateway}"),
        ("ioc", "expected ioc/v1/{gateway}"),
        ("ioc/v1/GW-1", "expected ioc/v1/{gateway}"),
        ("foo/v1/GW-1/senml", "expected ioc/v1/{gateway}"),
        ("ioc/v2/GW-1/senml", "unsupported version 'v2', expected v1"),
        ("ioc/v1//senml", "level 3 is empty"),
        ("ioc/v1/GW-1/senml/", "level 5 is empty"),
        ("ioc/v1/GW-1/raw/PY-A", "expected ioc/v1/GW-1/raw/{station}/{metric}"),
        ("ioc/v1/GW-1/raw/PY-A/water_level/extra", "expected ioc/v1/GW-1/raw/{station}/{metric}"),
        ("ioc/v1/GW-1/raw//water_level", "level 5 is empty"),
        ("ioc/v1/GW-1/senml/x", "nothing may follow /senml"),
        ("ioc/v1/GW-1/status/now", "nothing may follow /status"),
        ("ioc/v1/GW-1/xml", "unknown message type 'xml', expected senml, json, status or raw"),
        ("ioc/v1/+/senml", "wildcards + and # are not allowed"),
        ("ioc/v1/GW-1/#", "wildcards + and # are not allowed"),
    ])
    func badTopics(topic: String, reason: String) {
        guard case .failure(let rejection) = MessageRoute.parse(topic: topic) else {
            Issue.record("\(topic) parsed")
            return
        }
        #expect(rejection.kind == .badTopic)
        #expect(rejection.reason.contains(reason), "\(rejection.reason)")
        #expect(rejection.reason.hasPrefix("topic '\(topic)'"))
    }

    @Test func badTopicMessageKeepsTheGatewayWhenItCan() {
        let message = Fixture.decode("ioc/v1/GW-1/xml", "1")
        #expect(message.gateway == "GW-1")
        #expect(message.kinds == [.badTopic])
        #expect(Fixture.decode("other/topic", "1").gateway == nil)
    }
}

extension Result {
    var value: Success? { try? get() }
}
