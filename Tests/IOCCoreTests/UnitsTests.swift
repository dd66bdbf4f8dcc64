import IOCCore
import Testing

@Suite("Units")
struct UnitsTests {
    @Test(arguments: [
        ("m", "m"), ("meter", "m"), ("metres", "m"), ("Meters", "m"), (" m ", "m"),
        ("cm", "cm"), ("centimetre", "cm"), ("mm", "mm"), ("millimeters", "mm"), ("km", "km"),
        ("ug/m3", "ug/m3"), ("µg/m³", "ug/m3"), ("μg/m³", "ug/m3"), ("ug/m^3", "ug/m3"), ("µg/m3", "ug/m3"),
        ("mcg/m3", "ug/m3"), ("UG/M3", "ug/m3"), ("mg/m3", "mg/m3"), ("mg/m³", "mg/m3"),
        ("m/s", "m/s"), ("m s-1", "m/s"), ("km/h", "km/h"), ("kph", "km/h"), ("KM/H", "km/h"), ("km/hr", "km/h"),
        ("Cel", "Cel"), ("°C", "Cel"), ("degC", "Cel"), ("celsius", "Cel"), ("°F", "degF"),
        ("m³/s", "m3/s"), ("%", "%"), ("percent", "%"), ("mbar", "hPa"),
        ("V", "V"), ("furlong", "furlong"), ("M", "M"), ("", ""),
    ])
    func canonicalSpellings(spelling: String, canonical: String) {
        #expect(Units.canonical(spelling) == canonical)
    }

    @Test(arguments: [
        (231.0, "cm", "m", 2.31), (2310, "mm", "m", 2.31), (2.31, "m", "cm", 231), (2.31, "m", "mm", 2310),
        (15, "mm", "cm", 1.5), (1.5, "km", "m", 1500), (1, "m", "km", 0.001),
        (0.035, "mg/m3", "ug/m3", 35), (35, "µg/m³", "mg/m3", 0.035), (35, "ug/m^3", "ug/m3", 35),
        (36, "km/h", "m/s", 10), (10, "m/s", "km/h", 36), (90, "kph", "m/s", 25),
        (25, "°C", "Cel", 25), (7, "furlong", "furlong", 7),
    ])
    func conversions(value: Double, from: String, to: String, expected: Double) throws {
        let converted = try #require(Units.convert(value, from: from, to: to))
        #expect(converted == expected)
    }

    @Test(arguments: [
        ("degF", "Cel"), ("K", "Cel"), ("m", "mm/h"), ("kg", "m"), ("ug/m3", "ppm"), ("m/s", "m"), ("furlong", "m"),
    ])
    func notConvertible(from: String, to: String) {
        #expect(Units.convert(1, from: from, to: to) == nil)
        #expect(Units.conversion(from: from, to: to) == nil)
    }

    @Test func spellingsAreIdentityConversions() {
        #expect(Units.conversion(from: "µg/m³", to: "ug/m3")?.isIdentity == true)
        #expect(Units.conversion(from: "cm", to: "m")?.isIdentity == false)
        #expect(Units.areEquivalent("metre", "m"))
        #expect(!Units.areEquivalent("m", "mm"))
    }

    /// Decimal steps stay exact: dividing by a power of ten, never multiplying by its inverse.
    @Test func decimalConversionsAreExact() {
        for centimetres in 0...10_000 {
            let value = Double(centimetres)
            #expect(Units.convert(value, from: "cm", to: "m") == value / 100)
        }
    }
}
