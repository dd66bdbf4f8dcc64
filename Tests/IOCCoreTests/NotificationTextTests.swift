import Foundation
import IOCCore
import Testing

@Suite("Notification text in Vietnamese and English")
struct NotificationTextTests {
    static func time(_ text: String) -> Timestamp {
        guard let time = Timestamp(rfc3339: text) else { fatalError("bad test time \(text)") }
        return time
    }

    static let link = "https://ioc.phuyen.gov.vn/alerts/12"

    /// Củng Sơn passes alarm level III at 14:05 Vietnam time.
    static let flood = AlertFacts(
        alertID: 12, ruleName: "Mực nước vượt báo động", severity: .critical, level: "III",
        stationCode: "PY-CS", stationName: "Củng Sơn", metric: "water_level", value: 27.3, unit: "m",
        time: time("2026-11-27T07:05:00Z"), link: link)

    static func flood(_ change: (inout AlertFacts) -> Void) -> AlertFacts {
        var facts = flood
        change(&facts)
        return facts
    }

    /// Củng Sơn has sent nothing for 65 minutes.
    static let silentStation = AlertFacts(
        alertID: 12, ruleName: "Mất dữ liệu", severity: .warning,
        stationCode: "PY-CS", stationName: "Củng Sơn", metric: "water_level", value: 3900, unit: "m",
        time: time("2026-11-27T07:05:00Z"), link: link, condition: "no_data", subject: .station)

    static func silentStation(_ change: (inout AlertFacts) -> Void) -> AlertFacts {
        var facts = silentStation
        change(&facts)
        return facts
    }

    /// 23:59:30 on New Year's Eve in Vietnam.
    static let rain = AlertFacts(
        alertID: 40, ruleName: "Mưa lớn: ≥ 100 mm trong 24 giờ", severity: .warning,
        stationCode: "PY-RAIN-SONHOA", stationName: "Sơn Hòa", metric: "rain", value: 100, unit: "mm",
        time: time("2026-12-31T16:59:30Z"), link: "https://ioc.phuyen.gov.vn/alerts/40")

    @Test("messages", arguments: [
        (flood, NotificationText.Kind.fired, NotificationText.Language.vi,
         "[NGHIÊM TRỌNG] Mực nước vượt báo động III – Trạm Củng Sơn",
         "Trạm Củng Sơn (PY-CS): mực nước 27,3 m, mức báo động III, lúc 14:05 27/11/2026 (giờ Việt Nam). Chi tiết: \(link)"),
        (flood, .fired, .en,
         "[CRITICAL] Mực nước vượt báo động III – Củng Sơn station",
         "Củng Sơn station (PY-CS): water level 27.3 m, alarm level III, at 14:05 27 Nov 2026 (ICT). Details: \(link)"),
        (flood { $0.acknowledgedBy = "Nguyễn Văn An" }, .escalatedSeverity, .vi,
         "[NGHIÊM TRỌNG] Mực nước vượt báo động III – Trạm Củng Sơn (tăng mức)",
         "Tăng mức cảnh báo. Trạm Củng Sơn (PY-CS): mực nước 27,3 m, mức báo động III, lúc 14:05 27/11/2026 (giờ Việt Nam). Đã được Nguyễn Văn An xác nhận. Chi tiết: \(link)"),
        (flood { $0.acknowledgedBy = "Nguyễn Văn An" }, .escalatedSeverity, .en,
         "[CRITICAL] Mực nước vượt báo động III – Củng Sơn station (escalated)",
         "Alert escalated. Củng Sơn station (PY-CS): water level 27.3 m, alarm level III, at 14:05 27 Nov 2026 (ICT). Acknowledged by Nguyễn Văn An. Details: \(link)"),
        // 17:30Z is 00:30 the next day in Vietnam.
        (flood { $0.value = 25.12; $0.time = time("2026-11-27T17:30:00Z") }, .resolved, .vi,
         "[ĐÃ KẾT THÚC] Mực nước vượt báo động III – Trạm Củng Sơn",
         "Đã kết thúc. Trạm Củng Sơn (PY-CS): mực nước 25,12 m, lúc 00:30 28/11/2026 (giờ Việt Nam). Chi tiết: \(link)"),
        (flood { $0.value = 25.12; $0.time = time("2026-11-27T17:30:00Z") }, .resolved, .en,
         "[RESOLVED] Mực nước vượt báo động III – Củng Sơn station",
         "Resolved. Củng Sơn station (PY-CS): water level 25.12 m, at 00:30 28 Nov 2026 (ICT). Details: \(link)"),
        (rain, .reminder, .vi,
         "[CẢNH BÁO] Mưa lớn: ≥ 100 mm trong 24 giờ – Trạm Sơn Hòa (nhắc lại)",
         "Nhắc lại, chưa có ai xác nhận. Trạm Sơn Hòa (PY-RAIN-SONHOA): lượng mưa 100 mm, lúc 23:59 31/12/2026 (giờ Việt Nam). Chi tiết: https://ioc.phuyen.gov.vn/alerts/40"),
        (rain, .reminder, .en,
         "[WARNING] Mưa lớn: ≥ 100 mm trong 24 giờ – Sơn Hòa station (reminder)",
         "Reminder, not acknowledged yet. Sơn Hòa station (PY-RAIN-SONHOA): rainfall 100 mm, at 23:59 31 Dec 2026 (ICT). Details: https://ioc.phuyen.gov.vn/alerts/40"),
        (silentStation, .fired, .vi,
         "[CẢNH BÁO] Mất dữ liệu – Trạm Củng Sơn",
         "Trạm Củng Sơn (PY-CS): không nhận được dữ liệu từ trạm trong 1 giờ 5 phút, lúc 14:05 27/11/2026 (giờ Việt Nam). Chi tiết: \(link)"),
        (silentStation, .resolved, .en,
         "[RESOLVED] Mất dữ liệu – Củng Sơn station",
         "Resolved. Củng Sơn station (PY-CS): data is arriving again, at 14:05 27 Nov 2026 (ICT). Details: \(link)"),
        (silentStation { $0.subject = .sensor; $0.value = 45 }, .fired, .en,
         "[WARNING] Mất dữ liệu – Củng Sơn station",
         "Củng Sơn station (PY-CS): no water level data for 45 s, at 14:05 27 Nov 2026 (ICT). Details: \(link)"),
        (silentStation { $0.subject = .gateway; $0.stationCode = "GW-PY-01"; $0.stationName = "GW-PY-01"; $0.value = 900 }, .fired, .vi,
         "[CẢNH BÁO] Mất dữ liệu – Gateway GW-PY-01",
         "Gateway GW-PY-01 (GW-PY-01): gateway mất kết nối hoặc không gửi dữ liệu trong 15 phút, lúc 14:05 27/11/2026 (giờ Việt Nam). Chi tiết: \(link)"),
    ] as [(AlertFacts, NotificationText.Kind, NotificationText.Language, String, String)])
    func messages(facts: AlertFacts, kind: NotificationText.Kind, language: NotificationText.Language, subject: String, text: String) {
        let message = NotificationText.render(facts, kind: kind, language: language)
        #expect(message.subject == subject)
        #expect(message.text == text)
    }

    @Test("local time in the alert's time zone, across midnight and the new year", arguments: [
        ("2026-12-31T16:59:59Z", Rota.vietnam, "lúc 23:59 31/12/2026 (giờ Việt Nam)", "at 23:59 31 Dec 2026 (ICT)"),
        ("2026-12-31T17:00:00Z", Rota.vietnam, "lúc 00:00 01/01/2027 (giờ Việt Nam)", "at 00:00 1 Jan 2027 (ICT)"),
        ("2026-03-01T16:45:00Z", "Asia/Saigon", "lúc 23:45 01/03/2026 (giờ Việt Nam)", "at 23:45 1 Mar 2026 (ICT)"),
        ("2026-11-27T07:05:00Z", "Asia/Tokyo", "lúc 16:05 27/11/2026 (UTC+9)", "at 16:05 27 Nov 2026 (UTC+9)"),
        ("2026-11-27T07:05:00Z", "Asia/Kolkata", "lúc 12:35 27/11/2026 (UTC+5:30)", "at 12:35 27 Nov 2026 (UTC+5:30)"),
        ("2026-11-27T02:05:00Z", "America/New_York", "lúc 21:05 26/11/2026 (UTC-5)", "at 21:05 26 Nov 2026 (UTC-5)"),
        ("2026-11-27T07:05:00Z", "Nowhere/Atlantis", "lúc 14:05 27/11/2026 (giờ Việt Nam)", "at 14:05 27 Nov 2026 (ICT)"),
    ])
    func localTime(time: String, zone: String, vi: String, en: String) {
        let facts = Self.flood { $0.time = Self.time(time); $0.timeZone = zone }
        #expect(NotificationText.render(facts, kind: .fired, language: .vi).text.contains(", \(vi). "))
        #expect(NotificationText.render(facts, kind: .fired, language: .en).text.contains(", \(en). "))
    }

    @Test("numbers: a decimal comma in Vietnamese, at most three decimals, no trailing zeros", arguments: [
        (27.3, "27,3", "27.3"),
        (100, "100", "100"),
        (0.25, "0,25", "0.25"),
        (2.71828, "2,718", "2.718"),
        (-0.5, "-0,5", "-0.5"),
        (1250.05, "1250,05", "1250.05"),
        (0.0004, "0", "0"),
        (-0.0004, "0", "0"),
    ])
    func numbers(value: Double, vi: String, en: String) {
        let facts = Self.flood { $0.value = value }
        #expect(NotificationText.render(facts, kind: .fired, language: .vi).text.contains("mực nước \(vi) m,"))
        #expect(NotificationText.render(facts, kind: .fired, language: .en).text.contains("water level \(en) m,"))
    }

    @Test("metric names: a few are translated, the rest shown as they are", arguments: [
        ("water_level", "m", 27.3, "mực nước 27,3 m", "water level 27.3 m"),
        ("rain", "mm", 12.5, "lượng mưa 12,5 mm", "rainfall 12.5 mm"),
        ("rainfall", "mm", 12.5, "lượng mưa 12,5 mm", "rainfall 12.5 mm"),
        ("pm2_5", "µg/m³", 35.2, "PM2.5 35,2 µg/m³", "PM2.5 35.2 µg/m³"),
        ("pm25", "µg/m³", 35.2, "PM2.5 35,2 µg/m³", "PM2.5 35.2 µg/m³"),
        ("aqi", "", 152, "VN_AQI 152,", "VN_AQI 152,"),
        ("salinity", "‰", 4.5, "độ mặn 4,5 ‰", "salinity 4.5 ‰"),
        ("turbidity", "NTU", 0.05, "turbidity 0,05 NTU", "turbidity 0.05 NTU"),
        // Derived metrics, as operators say them.
        ("vn_aqi", "AQI", 168, "VN_AQI 168 (Xấu),", "VN_AQI 168 (Bad),"),
        ("vn_aqi_day", "AQI", 95, "VN_AQI ngày 95 (Trung bình),", "daily VN_AQI 95 (Moderate),"),
        ("vn_aqi_pm2_5", "AQI", 150.4, "chỉ số AQI của PM2.5 150,4,", "PM2.5 AQI 150.4,"),
        ("congestion", "level", 3, "giao thông Ùn tắc,", "traffic jammed,"),
        ("congestion", "level", 1, "giao thông Chậm,", "traffic slow,"),
        ("alarm_level", "level", 2, "mực nước đạt báo động II,", "water level at alarm level II,"),
        ("alarm_level", "level", 0, "mực nước dưới báo động I,", "water level below alarm level I,"),
        ("rain_risk", "level", 2, "rủi ro thiên tai do mưa lớn cấp 2,", "heavy-rain risk level 2,"),
        ("rain_24h", "mm", 212.5, "lượng mưa 24 giờ 212,5 mm,", "24 h rainfall 212.5 mm,"),
        ("useful_capacity", "%", 101.5, "dung tích hữu ích 101,5 %,", "useful storage 101.5 %,"),
        ("rise_rate", "m/h", 0.45, "tốc độ nước lên 0,45 m/h,", "rate of rise 0.45 m/h,"),
    ])
    func metrics(metric: String, unit: String, value: Double, vi: String, en: String) {
        let facts = Self.flood { $0.metric = metric; $0.unit = unit; $0.value = value; $0.level = nil }
        #expect(NotificationText.render(facts, kind: .fired, language: .vi).text.contains("(PY-CS): \(vi)"))
        #expect(NotificationText.render(facts, kind: .fired, language: .en).text.contains("(PY-CS): \(en)"))
    }

    @Test("severity tags", arguments: [
        (AlertRule.Severity.info, "[THÔNG TIN] ", "[INFO] "),
        (.warning, "[CẢNH BÁO] ", "[WARNING] "),
        (.critical, "[NGHIÊM TRỌNG] ", "[CRITICAL] "),
    ])
    func severities(severity: AlertRule.Severity, vi: String, en: String) {
        let facts = Self.flood { $0.severity = severity }
        #expect(NotificationText.render(facts, kind: .fired, language: .vi).subject.hasPrefix(vi))
        #expect(NotificationText.render(facts, kind: .reminder, language: .en).subject.hasPrefix(en))
        #expect(NotificationText.render(facts, kind: .resolved, language: .vi).subject.hasPrefix("[ĐÃ KẾT THÚC] "))
        #expect(NotificationText.render(facts, kind: .resolved, language: .en).subject.hasPrefix("[RESOLVED] "))
    }

    @Test("the alert state machine's notification kinds map to the same kinds", arguments: AlertStateMachine.NotificationKind.allCases)
    func kinds(kind: AlertStateMachine.NotificationKind) {
        #expect(NotificationText.Kind(kind).rawValue == kind.rawValue)
    }

    @Test("the JSON form of alert facts")
    func jsonShape() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let facts = Self.flood { $0.acknowledgedBy = "An" }
        let json = String(decoding: try encoder.encode(facts), as: UTF8.self)
        #expect(json == #"{"acknowledged_by":"An","alert_id":12,"condition":"","level":"III","link":"https://ioc.phuyen.gov.vn/alerts/12","#
            + #""metric":"water_level","rule_name":"Mực nước vượt báo động","severity":"critical","station_code":"PY-CS","#
            + #""station_name":"Củng Sơn","subject":"sensor","time":"2026-11-27T07:05:00Z","time_zone":"Asia/Ho_Chi_Minh","unit":"m","value":27.3}"#)
        #expect(try JSONDecoder().decode(AlertFacts.self, from: Data(json.utf8)) == facts)
        let minimal = #"""
        {"alert_id":40,"rule_name":"Mưa lớn: ≥ 100 mm trong 24 giờ","severity":"warning","station_code":"PY-RAIN-SONHOA",
         "station_name":"Sơn Hòa","metric":"rain","value":100,"unit":"mm","time":"2026-12-31T23:59:30+07:00",
         "link":"https://ioc.phuyen.gov.vn/alerts/40"}
        """#
        #expect(try JSONDecoder().decode(AlertFacts.self, from: Data(minimal.utf8)) == Self.rain)
    }

    @Test("a station's name is prefixed with what it is only when it does not say so itself", arguments: [
        ("Phú Lâm (sông Ba)", true, "Trạm Phú Lâm (sông Ba)"),
        ("Trạm khí tượng Sơn Hòa", true, "Trạm khí tượng Sơn Hòa"),
        ("Hồ chứa nước Đồng Tròn", true, "Hồ chứa nước Đồng Tròn"),
        ("Đo mưa La Hai (Đồng Xuân)", true, "Đo mưa La Hai (Đồng Xuân)"),
        ("Hồng Hà", true, "Trạm Hồng Hà"),
        ("Phú Lâm", false, "Phú Lâm station"),
        ("Tuy Hoa station", false, "Tuy Hoa station"),
    ])
    func stationLabel(name: String, vi: Bool, expected: String) {
        #expect(NotificationText.stationLabel(name, vi: vi) == expected)
    }
}

