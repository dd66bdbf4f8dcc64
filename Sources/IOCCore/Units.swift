/// Unit spellings and the few conversions ingest applies on its own.
///
/// Gateways spell units in many ways (`µg/m³`, `ug/m3`, `ug/m^3`); `canonical(_:)` maps the known
/// spellings to one (`ug/m3`, the SenML-style ASCII form stored in the registry). Conversions are
/// limited to exact scale factors within one quantity: length (mm, cm, m, km), mass
/// concentration (µg/m³, mg/m³) and speed (m/s, km/h). Temperature scales are deliberately not
/// converted: a gateway sending °F for a °C sensor is misconfigured and should be told so.
public enum Units {
    /// The canonical spelling of `unit`, e.g. `µg/m³` → `ug/m3`, `metre` → `m`, `°C` → `Cel`.
    /// Unknown spellings come back trimmed but otherwise unchanged.
    public static func canonical(_ unit: String) -> String {
        if let known = aliases[unit] { return known }
        let trimmed = unit.trimmingWhitespace()
        if let known = aliases[trimmed] { return known }
        if let known = caseInsensitiveAliases[trimmed.lowercased()] { return known }
        return trimmed
    }

    /// Whether two spellings name the same unit.
    public static func areEquivalent(_ a: String, _ b: String) -> Bool {
        a == b || canonical(a) == canonical(b)
    }

    /// How to turn a value in `from` into one in `to`: `.identity` when they are spellings of the
    /// same unit, nil when there is no known exact conversion.
    public static func conversion(from: String, to: String) -> UnitConversion? {
        if from == to { return .identity }
        let source = canonical(from)
        let target = canonical(to)
        if source == target { return .identity }
        guard let s = scales[source], let t = scales[target], s.quantity == t.quantity else { return nil }
        // Multiply by the larger ratio or divide by it, so that decimal steps stay exact
        // (231 cm → 231 / 100 m, not 231 × 0.01).
        return s.scale >= t.scale
            ? UnitConversion(multiplier: s.scale / t.scale, divisor: 1)
            : UnitConversion(multiplier: 1, divisor: t.scale / s.scale)
    }

    /// `value` in unit `from` expressed in unit `to`, or nil if the units are not convertible.
    public static func convert(_ value: Double, from: String, to: String) -> Double? {
        conversion(from: from, to: to)?.apply(value)
    }

    private enum Quantity { case length, massConcentration, speed }

    /// Scale of each convertible canonical unit within its quantity, chosen so every ratio is exact.
    private static let scales: [String: (quantity: Quantity, scale: Double)] = [
        "mm": (.length, 1), "cm": (.length, 10), "m": (.length, 1_000), "km": (.length, 1_000_000),
        "ug/m3": (.massConcentration, 1), "mg/m3": (.massConcentration, 1_000),
        "km/h": (.speed, 1), "m/s": (.speed, 3.6),
    ]

    /// Exact spellings → canonical unit.
    private static let aliases: [String: String] = {
        var table: [String: String] = [:]
        func add(_ canonical: String, _ spellings: [String]) {
            table[canonical] = canonical
            for spelling in spellings { table[spelling] = canonical }
        }
        add("m", ["meter", "meters", "metre", "metres"])
        add("cm", ["centimeter", "centimeters", "centimetre", "centimetres"])
        add("mm", ["millimeter", "millimeters", "millimetre", "millimetres"])
        add("km", ["kilometer", "kilometers", "kilometre", "kilometres"])
        let perCubicMetre = ["/m3", "/m³", "/m^3", "/m**3", " m-3"]
        // U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU both appear in the wild.
        add("ug/m3", ["ug", "µg", "μg", "mcg"].flatMap { mass in perCubicMetre.map { mass + $0 } })
        add("mg/m3", perCubicMetre.map { "mg" + $0 })
        add("m/s", ["m s-1", "m/sec", "mps"])
        add("km/h", ["km/hr", "km h-1", "kmh", "kmph", "kph"])
        add("mm/h", ["mm/hr", "mm h-1"])
        add("m3/s", ["m³/s", "m^3/s", "m3 s-1", "cumecs"])
        add("Cel", ["°C", "℃", "degC", "celsius", "Celsius"])
        add("degF", ["°F", "℉", "fahrenheit", "Fahrenheit"])
        add("%", ["percent", "pct"])
        add("%RH", ["%rh", "RH%"])
        add("hPa", ["mbar", "millibar"])
        return table
    }()

    /// Spellings of four or more characters also match in any letter case (`Meters`, `UG/M3`);
    /// shorter symbols do not, because case is meaningful there (`m` metre, `M` not).
    private static let caseInsensitiveAliases: [String: String] = {
        var table: [String: String] = [:]
        for (spelling, canonical) in aliases where spelling.count >= 4 {
            table[spelling.lowercased()] = canonical
        }
        return table
    }()
}

/// An exact unit conversion: `value × multiplier ÷ divisor`.
public struct UnitConversion: Sendable, Hashable {
    public var multiplier: Double
    public var divisor: Double

    public init(multiplier: Double, divisor: Double) {
        self.multiplier = multiplier
        self.divisor = divisor
    }

    public static let identity = UnitConversion(multiplier: 1, divisor: 1)

    public var isIdentity: Bool { multiplier == 1 && divisor == 1 }

    @inline(__always)
    public func apply(_ value: Double) -> Double { value * multiplier / divisor }
}

extension StringProtocol {
    /// The string without leading and trailing ASCII and Unicode whitespace or newlines.
    func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
              let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}
