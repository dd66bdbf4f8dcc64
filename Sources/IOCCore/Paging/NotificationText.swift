import Foundation

/// The subject and text of a page, in Vietnamese or English. The subject carries the severity
/// and the rule; the text stands alone (an SMS has no subject) apart from the severity tag.
public enum NotificationText {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case fired
        case escalatedSeverity = "escalated_severity"
        case resolved
        /// An escalation step pages again while nobody has acknowledged.
        case reminder

        public init(_ kind: AlertStateMachine.NotificationKind) {
            switch kind {
            case .fired: self = .fired
            case .escalatedSeverity: self = .escalatedSeverity
            case .resolved: self = .resolved
            }
        }
    }

    public enum Language: String, Sendable, Hashable, Codable, CaseIterable {
        case vi, en
    }

    /// `[NGHIÊM TRỌNG] Mực nước vượt báo động III – Trạm Củng Sơn` and
    /// `Trạm Củng Sơn (PY-CS): mực nước 27,3 m, mức báo động III, lúc 14:05 27/11/2026 (giờ Việt Nam). Chi tiết: …`.
    public static func render(_ facts: AlertFacts, kind: Kind, language: Language) -> (subject: String, text: String) {
        let vi = language == .vi
        let tag = kind == .resolved ? (vi ? "ĐÃ KẾT THÚC" : "RESOLVED") : severityWord(facts.severity, language)
        let title = [facts.ruleName, facts.level].compactMap(\.self).joined(separator: " ")
        let station = facts.subject == .gateway ? gatewayLabel(facts.stationName, vi: vi) : stationLabel(facts.stationName, vi: vi)
        let note = switch kind {
        case .fired, .resolved: ""
        case .escalatedSeverity: vi ? " (tăng mức)" : " (escalated)"
        case .reminder: vi ? " (nhắc lại)" : " (reminder)"
        }
        let lead = switch kind {
        case .fired: ""
        case .escalatedSeverity: vi ? "Tăng mức cảnh báo. " : "Alert escalated. "
        case .resolved: vi ? "Đã kết thúc. " : "Resolved. "
        case .reminder: vi ? "Nhắc lại, chưa có ai xác nhận. " : "Reminder, not acknowledged yet. "
        }
        var reading: String
        if facts.condition == "no_data" {
            reading = silence(facts, kind: kind, language)
        } else {
            reading = Self.reading(facts, showLevel: kind != .resolved, language)
        }
        let when = localTime(facts.time, zoneIdentifier: facts.timeZone, language)
        let acknowledged = facts.acknowledgedBy.map { vi ? " Đã được \($0) xác nhận." : " Acknowledged by \($0)." } ?? ""
        let text = vi
            ? "\(lead)\(station) (\(facts.stationCode)): \(reading), lúc \(when).\(acknowledged) Chi tiết: \(facts.link)"
            : "\(lead)\(station) (\(facts.stationCode)): \(reading), at \(when).\(acknowledged) Details: \(facts.link)"
        return ("[\(tag)] \(title) – \(station)\(note)", text)
    }

    /// `không có dữ liệu mực nước trong 10 phút`, `không nhận được dữ liệu từ trạm trong 1 giờ 5 phút`,
    /// `gateway mất kết nối hoặc không gửi dữ liệu trong 15 phút`; once resolved, that data is back.
    static func silence(_ facts: AlertFacts, kind: Kind, _ language: Language) -> String {
        let vi = language == .vi
        if kind == .resolved {
            return switch facts.subject {
            case .gateway: vi ? "gateway đã kết nối và gửi dữ liệu trở lại" : "the gateway is back and sending data"
            case .station, .sensor: vi ? "đã có dữ liệu trở lại" : "data is arriving again"
            }
        }
        let span = duration(facts.value, language)
        return switch (facts.subject, vi) {
        case (.sensor, true): "không có dữ liệu \(metricName(facts.metric, language)) trong \(span)"
        case (.sensor, false): "no \(metricName(facts.metric, language)) data for \(span)"
        case (.station, true): "không nhận được dữ liệu từ trạm trong \(span)"
        case (.station, false): "no data from the station for \(span)"
        case (.gateway, true): "gateway mất kết nối hoặc không gửi dữ liệu trong \(span)"
        case (.gateway, false): "the gateway is offline or silent for \(span)"
        }
    }

    /// Whole minutes from one minute up (`1 giờ 5 phút`, `1 h 5 min`), seconds below.
    static func duration(_ seconds: Double, _ language: Language) -> String {
        let vi = language == .vi
        guard seconds.isFinite, seconds >= 0 else { return vi ? "một lúc" : "a while" }
        let total = Int64(seconds.rounded(.down))
        if total < 60 { return vi ? "\(total) giây" : "\(total) s" }
        let (hours, minutes) = (total / 3600, total / 60 % 60)
        var parts: [String] = []
        if hours > 0 { parts.append(vi ? "\(hours) giờ" : "\(hours) h") }
        if minutes > 0 || hours == 0 { parts.append(vi ? "\(minutes) phút" : "\(minutes) min") }
        return parts.joined(separator: " ")
    }

    /// "Gateway GW-PY-01", unless the name already says it is one.
    public static func gatewayLabel(_ name: String, vi: Bool) -> String {
        name.lowercased().hasPrefix("gateway") || name.lowercased().hasPrefix("bộ thu") ? name : "Gateway \(name)"
    }

    static func severityWord(_ severity: AlertRule.Severity, _ language: Language) -> String {
        switch (severity, language) {
        case (.info, .vi): "THÔNG TIN"
        case (.warning, .vi): "CẢNH BÁO"
        case (.critical, .vi): "NGHIÊM TRỌNG"
        case (.info, .en): "INFO"
        case (.warning, .en): "WARNING"
        case (.critical, .en): "CRITICAL"
        }
    }

    /// The value as operators say it: `mực nước 27,3 m, mức báo động III`, `VN_AQI 168 (Xấu)`,
    /// `giao thông Ùn tắc`, `mực nước đạt báo động II`, `rủi ro thiên tai do mưa lớn cấp 2`,
    /// `dung tích hữu ích 101,5 %`. Derived states are named, not numbered; a unit that only
    /// repeats the metric (`AQI`, `level`) is left out.
    static func reading(_ facts: AlertFacts, showLevel: Bool, _ language: Language) -> String {
        let vi = language == .vi
        let value = number(facts.value, language)
        let state = Int(exactly: facts.value.rounded()) ?? -1
        let level = showLevel ? facts.level : nil
        switch DerivedMetric(rawValue: facts.metric) {
        case .congestion:
            let name = Congestion.name(state).map { vi ? $0.vi : $0.en } ?? value
            return vi ? "giao thông \(name)" : "traffic \(name.lowercased())"
        case .alarmLevel:
            let names = ["I", "II", "III"]
            guard (1...3).contains(state) else { return vi ? "mực nước dưới báo động I" : "water level below alarm level I" }
            return vi ? "mực nước đạt báo động \(names[state - 1])" : "water level at alarm level \(names[state - 1])"
        case .rainRisk:
            return vi ? "rủi ro thiên tai do mưa lớn cấp \(value)" : "heavy-rain risk level \(value)"
        case .vnAQI, .vnAQIDay:
            let band = AQIBand.of(state)
            return metricName(facts.metric, language) + " \(value) (\(vi ? band.nameVI : band.nameEN))"
        default:
            var text = metricName(facts.metric, language) + " " + value
            if !facts.unit.isEmpty, facts.unit != "level", facts.unit != "AQI" { text += " " + facts.unit }
            if let level {
                let derived = DerivedMetric(rawValue: facts.metric) != nil
                text += derived ? ", \(level)" : (vi ? ", mức báo động \(level)" : ", alarm level \(level)")
            }
            return text
        }
    }

    /// The names of well-known metrics; any other metric is shown as it is.
    static func metricName(_ metric: String, _ language: Language) -> String {
        if let derived = DerivedMetric(rawValue: metric) { return derivedName(derived, language) }
        return switch (metric, language) {
        case ("water_level", .vi): "mực nước"
        case ("water_level", .en): "water level"
        case ("rain", .vi), ("rainfall", .vi): "lượng mưa"
        case ("rain", .en), ("rainfall", .en): "rainfall"
        case ("pm2_5", _), ("pm25", _): "PM2.5"
        case ("aqi", _): "VN_AQI"
        case ("salinity", .vi): "độ mặn"
        case ("salinity", .en): "salinity"
        case ("pm10", _): "PM10"
        case ("o3", _): "O₃"
        case ("no2", _): "NO₂"
        case ("so2", _): "SO₂"
        case ("co", _): "CO"
        case ("speed", .vi): "tốc độ"
        case ("speed", .en): "speed"
        default: metric
        }
    }

    static func derivedName(_ metric: DerivedMetric, _ language: Language) -> String {
        let vi = language == .vi
        switch metric {
        case .vnAQI: return "VN_AQI"
        case .vnAQIDay: return vi ? "VN_AQI ngày" : "daily VN_AQI"
        case .vnAQIPM2_5, .vnAQIPM10, .vnAQIO3, .vnAQINO2, .vnAQISO2, .vnAQICO:
            let pollutant = metricName(String(metric.rawValue.dropFirst("vn_aqi_".count)), language)
            return vi ? "chỉ số AQI của \(pollutant)" : "\(pollutant) AQI"
        case .rain1h, .rain3h, .rain6h, .rain12h, .rain24h, .rain48h:
            let hours = metric.rawValue.dropFirst("rain_".count).dropLast()
            return vi ? "lượng mưa \(hours) giờ" : "\(hours) h rainfall"
        case .rainRisk: return vi ? "cấp rủi ro mưa lớn" : "heavy-rain risk level"
        case .alarmLevel: return vi ? "cấp báo động lũ" : "flood alarm level"
        case .alarmMargin: return vi ? "khoảng cách tới mức báo động kế tiếp" : "margin to the next alarm level"
        case .riseRate: return vi ? "tốc độ nước lên" : "rate of rise"
        case .usefulCapacity: return vi ? "dung tích hữu ích" : "useful storage"
        case .congestion: return vi ? "trạng thái giao thông" : "traffic state"
        }
    }

    /// At most three decimals and no trailing zeros, with a decimal comma in Vietnamese:
    /// 27.3 is `27,3`, 100 is `100`. No thousands separators, which the two languages write
    /// the other way round.
    static func number(_ value: Double, _ language: Language) -> String {
        let thousandths = (value * 1000).rounded()
        guard thousandths.isFinite, thousandths.magnitude < 1e18 else { return value.shown }
        let scaled = Int64(thousandths)
        let (whole, fraction) = scaled.magnitude.quotientAndRemainder(dividingBy: 1000)
        var text = (scaled < 0 ? "-" : "") + String(whole)
        if fraction > 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 3 - digits.count) + digits
            while digits.last == "0" { digits.removeLast() }
            text += (language == .vi ? "," : ".") + digits
        }
        return text
    }

    /// `14:05 27/11/2026 (giờ Việt Nam)` or `14:05 27 Nov 2026 (ICT)`; another zone is named by
    /// its offset at that moment, like `(UTC+9)`.
    static func localTime(_ time: Timestamp, zoneIdentifier: String, _ language: Language) -> String {
        let zone = TimeZone(identifier: zoneIdentifier) ?? TimeZone(identifier: Rota.vietnam)!
        let offset = zone.secondsFromGMT(for: time.date)
        let local = time.microseconds.floorDividedBy(1_000_000).quotient + Int64(offset)
        let (days, secondsOfDay) = local.floorDividedBy(86_400)
        let (year, month, day) = Timestamp.civil(fromDays: days)
        var clock = ""
        clock.appendPadded(secondsOfDay / 3600, width: 2)
        clock += ":"
        clock.appendPadded(secondsOfDay / 60 % 60, width: 2)
        let vietnam = ["Asia/Ho_Chi_Minh", "Asia/Saigon"].contains(zone.identifier)
        var zoneName = "UTC\(offset < 0 ? "-" : "+")\(abs(offset) / 3600)"
        if abs(offset) % 3600 != 0 {
            zoneName += ":"
            zoneName.appendPadded(abs(offset) / 60 % 60, width: 2)
        }
        switch language {
        case .vi:
            var date = ""
            date.appendPadded(day, width: 2)
            date += "/"
            date.appendPadded(month, width: 2)
            date += "/\(year)"
            return "\(clock) \(date) (\(vietnam ? "giờ Việt Nam" : zoneName))"
        case .en:
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            return "\(clock) \(day) \(months[Int(month) - 1]) \(year) (\(vietnam ? "ICT" : zoneName))"
        }
    }

    /// "Trạm Phú Lâm", but a name that already says what it is ("Trạm khí tượng Sơn Hòa",
    /// "Hồ chứa nước Đồng Tròn", "Đo mưa La Hai") is left as it is.
    public static func stationLabel(_ name: String, vi: Bool) -> String {
        let lowered = name.lowercased()
        if vi {
            let kinds = ["trạm", "hồ", "đo mưa", "đập", "cầu", "nút giao", "cống", "quan trắc"]
            return kinds.contains(where: { lowered.hasPrefix($0 + " ") }) ? name : "Trạm \(name)"
        }
        return lowered.hasSuffix(" station") ? name : "\(name) station"
    }
}
