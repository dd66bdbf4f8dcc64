/// One of the six bands of Bảng 1 (Decision 1459/QĐ-TCMT): a range of rounded VN_AQI values, its
/// name in Vietnamese and English, and its warning colour.
public struct AQIBand: Sendable, Equatable, Hashable {
    /// 1 (Tốt) ... 6 (Nguy hại).
    public let level: Int
    /// Stable machine name: good, moderate, poor, bad, very_bad, hazardous.
    public let code: String
    public let nameVI: String
    public let nameEN: String
    /// The Bảng 1 RGB triple as hex, `#RRGGBB`.
    public let colour: String
    public let range: ClosedRange<Int>

    private init(level: Int, code: String, nameVI: String, nameEN: String, colour: String, range: ClosedRange<Int>) {
        self.level = level
        self.code = code
        self.nameVI = nameVI
        self.nameEN = nameEN
        self.colour = colour
        self.range = range
    }

    /// The six bands, from the best (level 1) to the worst.
    public static let all: [AQIBand] = [
        AQIBand(level: 1, code: "good", nameVI: "Tốt", nameEN: "Good", colour: "#00E400", range: 0...50),
        AQIBand(level: 2, code: "moderate", nameVI: "Trung bình", nameEN: "Moderate", colour: "#FFFF00", range: 51...100),
        AQIBand(level: 3, code: "poor", nameVI: "Kém", nameEN: "Poor", colour: "#FF7E00", range: 101...150),
        AQIBand(level: 4, code: "bad", nameVI: "Xấu", nameEN: "Bad", colour: "#FF0000", range: 151...200),
        AQIBand(level: 5, code: "very_bad", nameVI: "Rất xấu", nameEN: "Very bad", colour: "#8F3F97", range: 201...300),
        AQIBand(level: 6, code: "hazardous", nameVI: "Nguy hại", nameEN: "Hazardous", colour: "#7E0023", range: 301...500),
    ]

    /// The band of a rounded AQI. The band follows the rounded index, never the concentration
    /// segment: 150.4 rounds to 150 and stays Kém. Above 500 is Nguy hại, below 0 is Tốt.
    public static func of(_ aqi: Int) -> AQIBand {
        all.first { $0.range.contains(aqi) } ?? (aqi < 0 ? all[0] : all[all.count - 1])
    }

    /// The band with this level (1...6), or nil.
    public static func level(_ level: Int) -> AQIBand? {
        all.first { $0.level == level }
    }
}
