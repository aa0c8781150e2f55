import UnderstorySimulator

extension SimulatorConfiguration {
    /// A small, fast account (seconds to sync in a debug build) whose generated history is
    /// `historyDays` long and whose events all fall inside a 3650-day past / default future window,
    /// so synced tables can equal the simulator's truth. The one factory the test targets share.
    public static func smallAccount(
        seed: UInt64 = 7, bookings: Int = 250, orders: Int = 120, events: Int = 60, experiences: Int = 9,
        historyDays: Int = 20, futureDays: Int = 120
    ) -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration(seed: seed, bookings: bookings, orders: orders, events: events, experiences: experiences)
        configuration.historyDays = historyDays
        configuration.futureDays = futureDays
        return configuration
    }
}
