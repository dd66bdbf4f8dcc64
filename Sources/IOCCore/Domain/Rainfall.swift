/// Rain accumulated at a gauge that reports `rain` as the millimetres fallen since its previous
/// report (typically every 10 minutes).
public enum Rainfall {
    /// The accumulation windows shown for a rain gauge, in hours.
    public static let windowsHours: [Int] = [1, 3, 6, 12, 24, 48]

    /// Millimetres fallen in each window of `windowsHours` ending at `now`, keyed by hours. A
    /// reading at time t covers the interval ending at t, so it counts in a window when
    /// now − window < t ≤ now: a reading exactly one hour before `now` is not in the 1 h window.
    /// Readings may come in any order and late; two readings with the same time are one report
    /// re-sent, and the later one in the array wins. Readings after `now` and negative or
    /// non-finite amounts (a gauge fault, not rain) are ignored.
    public static func accumulations(
        _ increments: [(time: Timestamp, mm: Double)], at now: Timestamp, windowsHours: [Int] = Rainfall.windowsHours
    ) -> [Int: Double] {
        var byTime: [Timestamp: Double] = [:]
        for increment in increments where increment.time <= now && increment.mm.isFinite && increment.mm >= 0 {
            byTime[increment.time] = increment.mm
        }
        // Summed newest first, in one order every time, so equal inputs give bit-equal totals.
        let newestFirst = byTime.sorted { $0.key > $1.key }
        var totals: [Int: Double] = [:]
        for hours in windowsHours {
            let start = now.adding(seconds: -Double(hours) * 3600)
            totals[hours] = newestFirst.prefix(while: { $0.key > start }).reduce(0) { $0 + $1.value }
        }
        return totals
    }
}

/// The heavy-rain (mưa lớn) natural-disaster risk level suggested by rain measured at one gauge,
/// after Article 44 of Decision 18/2021/QĐ-TTg. The article grades *forecast* rain; applying its
/// bands to measured totals is the project's reading of it, for display, not an official level.
public enum HeavyRainRisk {
    /// 0 (none) to 3, the higher of what the 12 h and the 24 h totals imply:
    /// - level 1: 100–200 mm in 24 h or 50–100 mm in 12 h (the verified text of Article 44);
    /// - level 2: >200–400 mm in 24 h or >100–200 mm in 12 h;
    /// - level 3: >400 mm in 24 h or >200 mm in 12 h.
    /// The band → level mapping for levels 2 and 3 is a PROJECT CHOICE: the article uses these
    /// bands, but raises the level also by duration in days and by terrain, and our reference
    /// could not verify its table. Band edges follow the wording: "100–200" includes both ends,
    /// ">200–400" starts just above 200. Level 4 needs the duration and the terrain and extent of
    /// the rain, which one gauge cannot know, so it is never derived here.
    public static func level(rain12h: Double, rain24h: Double) -> Int {
        let by24h = rain24h > 400 ? 3 : rain24h > 200 ? 2 : rain24h >= 100 ? 1 : 0
        let by12h = rain12h > 200 ? 3 : rain12h > 100 ? 2 : rain12h >= 50 ? 1 : 0
        return max(by24h, by12h)
    }

    /// The map colour of a risk level 1...5 (Article 4 of Decision 18/2021): light blue, light
    /// yellow, orange, red, purple. The decision names colours, not values; these hex values are
    /// the project's. Nil for level 0 (no risk) and anything outside 1...5.
    public static func colour(_ level: Int) -> String? {
        switch level {
        case 1: "#A6D8F5" // xanh dương nhạt, light blue
        case 2: "#FFF3A3" // vàng nhạt, light yellow
        case 3: "#FF9933" // da cam, orange
        case 4: "#E53935" // đỏ, red
        case 5: "#8E24AA" // tím, purple
        default: nil
        }
    }
}
