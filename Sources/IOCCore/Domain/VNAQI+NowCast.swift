extension VNAQI {
    /// The NowCast (§2.2.1a) of hourly means c1 (current hour) ... c12. Missing hours are nil; fewer
    /// than 12 entries means the rest are missing, entries after the 12th are ignored. nil unless
    /// at least 2 of c1...c3 exist ("không có dữ liệu").
    ///
    /// w* = Cmin / Cmax over the available values (the decision does not say how gaps count; a
    /// missing hour is not a zero), w = max(w*, 1/2). We always use the normalised form
    /// Σ w^(i−1)·c_i / Σ w^(i−1) over the available hours, also for w = 1/2: the decision's
    /// un-normalised w = 1/2 formula Σ (1/2)^i·c_i equals it to 0.02 % when all 12 hours exist, but
    /// with the missing weights set to 0 it has no denominator left to renormalise and reads low —
    /// with c1 missing it roughly halves the value. When every available value is 0, the NowCast is 0.
    public static func nowCast(_ hourlyMeans: [Double?]) -> Double? {
        let hours = window(hourlyMeans, count: 12)
        guard hours.prefix(3).count(where: { $0 != nil }) >= 2 else { return nil }
        let available = hours.compactMap { $0 }
        guard let cMin = available.min(), let cMax = available.max() else { return nil }
        guard cMax > 0 else { return 0 }
        let w = max(cMin / cMax, 0.5)
        var numerator = 0.0
        var denominator = 0.0
        var weight = 1.0
        for hour in hours {
            if let hour {
                numerator += weight * hour
                denominator += weight
            }
            weight *= w
        }
        return numerator / denominator
    }
}
