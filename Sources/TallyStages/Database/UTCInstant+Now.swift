import Foundation
import TallyCore

extension UTCInstant {
    /// The current instant, from the system clock (the core never reads the clock itself).
    public static var now: UTCInstant {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UTCInstant(microsecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000)
    }
}
