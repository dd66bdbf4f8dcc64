// How numbers, sizes and durations read in rejection reasons.

/// `120`, `2.31`, `-0.5`, `1e+300`, `NaN`: integers without `.0`, otherwise Swift's shortest
/// representation that reads back to the same value.
func formatNumber(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return value.description
}

/// `512 bytes`, `256 KiB`, `300.5 KiB`, `2 MiB`.
func formatBytes(_ count: Int) -> String {
    if count < 1024 { return "\(count) bytes" }
    let (unit, size): (String, Double) = count < 1024 * 1024
        ? ("KiB", Double(count) / 1024)
        : ("MiB", Double(count) / (1024 * 1024))
    let rounded = (size * 10).rounded() / 10
    return "\(formatNumber(rounded)) \(unit)"
}

/// `45 s`, `12 min`, `3 h`, `16 days`: the largest unit that keeps the number readable.
func formatDuration(seconds: Double) -> String {
    let s = abs(seconds)
    if s < 120 { return "\(formatNumber((s * 10).rounded() / 10)) s" }
    if s < 120 * 60 { return "\(Int64((s / 60).rounded())) min" }
    if s < 72 * 3600 { return "\(Int64((s / 3600).rounded())) h" }
    return "\(Int64((s / 86_400).rounded())) days"
}
