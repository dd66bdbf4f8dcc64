extension MessageRoute {
    /// Reads a topic: `ioc/v1/{gateway}/senml`, `ioc/v1/{gateway}/json`, `ioc/v1/{gateway}/status`
    /// or `ioc/v1/{gateway}/raw/{station}/{metric}`. Anything else is a `.badTopic` rejection.
    public static func parse(topic: String) -> Result<MessageRoute, Rejection> {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        func bad(_ why: String) -> Result<MessageRoute, Rejection> {
            .failure(Rejection(.badTopic, "topic \(quoted(topic)): \(why)"))
        }
        guard parts.count >= 4, parts[0] == "ioc" else {
            return bad("expected ioc/v1/{gateway}/senml, /json, /status or /raw/{station}/{metric}")
        }
        guard parts[1] == "v1" else {
            return bad("unsupported version \(quoted(String(parts[1]))), expected v1")
        }
        if let empty = parts.firstIndex(where: \.isEmpty) {
            return bad("level \(empty + 1) is empty")
        }
        if topic.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }) {
            return bad("wildcards + and # are not allowed in a published topic")
        }
        let gateway = String(parts[2])
        switch (parts[3], parts.count) {
        case ("senml", 4): return .success(.senml(gateway: gateway))
        case ("json", 4): return .success(.json(gateway: gateway))
        case ("status", 4): return .success(.status(gateway: gateway))
        case ("raw", 6): return .success(.raw(gateway: gateway, station: String(parts[4]), metric: String(parts[5])))
        case ("raw", _): return bad("expected ioc/v1/\(gateway)/raw/{station}/{metric}")
        case ("senml", _), ("json", _), ("status", _): return bad("nothing may follow /\(parts[3])")
        default:
            return bad("unknown message type \(quoted(String(parts[3]))), expected senml, json, status or raw")
        }
    }

    /// The gateway named by a topic that starts `ioc/v1/{gateway}/`, even if the rest is wrong.
    static func gatewayHint(topic: String) -> String? {
        let parts = topic.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "ioc", parts[1] == "v1", !parts[2].isEmpty else { return nil }
        return String(parts[2])
    }
}

/// `text` in single quotes, shortened to `limit` characters, for use in a rejection reason.
func quoted(_ text: String, limit: Int = 60) -> String {
    var shown = ""
    shown.reserveCapacity(min(text.utf8.count, limit * 4) + 2)
    var count = 0
    for c in text.unicodeScalars {
        if count == limit {
            shown += "…"
            break
        }
        switch c {
        case "\n": shown += "\\n"
        case "\r": shown += "\\r"
        case "\t": shown += "\\t"
        case _ where c.value < 0x20 || c.value == 0x7F:
            shown += "\\u{\(String(c.value, radix: 16))}"
        default: shown.unicodeScalars.append(c)
        }
        count += 1
    }
    return "'\(shown)'"
}
