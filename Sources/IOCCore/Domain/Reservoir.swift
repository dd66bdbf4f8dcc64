/// Derived figures for a reservoir from its water level and its design levels.
public enum Reservoir {
    /// How full the useful (active) storage is, in percent: 0 at the dead level (MNC, mực nước
    /// chết), 100 at the normal water level (MNDBT, mực nước dâng bình thường), linear in water
    /// level. This is a level-based proxy: the real share of volume needs the reservoir's
    /// level–storage curve, which we do not have; since a lake widens upwards, the proxy overstates
    /// the share of volume held between the two levels. Not clamped: above the normal level gives more than 100 (flood
    /// storage in use), below the dead level less than 0. Nil when normal ≤ dead or a figure is
    /// not finite.
    public static func usefulPercent(waterLevel: Double, dead: Double, normal: Double) -> Double? {
        guard waterLevel.isFinite, dead.isFinite, normal.isFinite, normal > dead else { return nil }
        return (waterLevel - dead) / (normal - dead) * 100
    }
}
