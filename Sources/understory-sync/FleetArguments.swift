import ArgumentParser
import SyncEngine

/// How a fleet member schedules and leases accounts: shared by `worker` and `sync --claim`.
struct FleetArguments: ParsableArguments {
    @Option(help: "How often each account is synced: 90s, 15m, 1h, 1h30m or plain seconds (default 15m; jittered by ±10 %).")
    var every: String = "15m"

    @Option(name: .customLong("lease"), help: "Seconds a worker may hold an account without renewing its lease (default 120); a killed worker's accounts are taken over after this.")
    var leaseSeconds: Int = 120

    func validate() throws {
        guard let every = Self.duration(every), every > .zero else {
            throw ValidationError("--every \"\(every)\" is not a duration: use e.g. 90s, 15m, 1h, 1h30m or a number of seconds")
        }
        guard leaseSeconds >= 3 else { throw ValidationError("--lease must be at least 3 seconds (the lease is renewed every third of it)") }
    }

    var policy: FleetPolicy {
        FleetPolicy(every: Self.duration(every) ?? .seconds(900), lease: .seconds(leaseSeconds))
    }

    /// `90`, `90s`, `15m`, `1h`, `1h30m`, `1d`; nil if malformed.
    static func duration(_ text: String) -> Duration? {
        if let seconds = Int(text) { return seconds >= 0 ? .seconds(seconds) : nil }
        var total: Int64 = 0
        var number = ""
        for character in text {
            if character.isASCII, character.isNumber {
                number.append(character)
                continue
            }
            guard let value = Int64(number) else { return nil }
            switch character {
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            case "d": total += value * 86_400
            default: return nil
            }
            number = ""
        }
        guard number.isEmpty, !text.isEmpty else { return nil }
        return .seconds(total)
    }
}
