import Foundation
import Testing
import TallyCore
import TallyStages

/// Microseconds since the Unix epoch of a UTC date and time, computed with Foundation's Gregorian
/// calendar (independently of Tally's own calendar arithmetic).
func utcMicroseconds(
    _ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0, microsecond: Int = 0
) -> Int64 {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))!
    return Int64(date.timeIntervalSince1970.rounded()) * 1_000_000 + Int64(microsecond)
}

/// Unix seconds of a UTC date and time (see `utcMicroseconds`).
func utcSeconds(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Int64 {
    utcMicroseconds(year, month, day, hour, minute, second) / 1_000_000
}

/// Expects a file to have been ingested (no failure) with these counts, and to reconcile.
func expectCounts(
    _ file: IngestFileSummary, read: Int, accepted: Int, duplicates: Int = 0, rejected: [RejectReason: Int] = [:],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(file.failure == nil, "the file failed: \(file.failure ?? "")", sourceLocation: sourceLocation)
    #expect(file.read == read, "read", sourceLocation: sourceLocation)
    #expect(file.accepted == accepted, "accepted", sourceLocation: sourceLocation)
    #expect(file.duplicates == duplicates, "duplicates", sourceLocation: sourceLocation)
    #expect(file.rejectedByReason.filter { $0.value > 0 } == rejected, "rejected by reason", sourceLocation: sourceLocation)
    #expect(file.reconciles, "read = accepted + duplicates + rejected", sourceLocation: sourceLocation)
}

extension TestDatabase {
    /// Expects the rejects file of `exportPath` to hold exactly these (line, reason) pairs, in this
    /// order, each naming `exportPath` as its source and carrying a message.
    func expectRejects(
        of exportPath: String, _ expected: [(line: Int, reason: RejectReason)],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let lines = try rejects(for: exportPath, sourceLocation: sourceLocation)
        #expect(lines.map(\.line) == expected.map(\.line), "reject line numbers", sourceLocation: sourceLocation)
        #expect(lines.map(\.reason) == expected.map(\.reason.rawValue), "reject reasons", sourceLocation: sourceLocation)
        for line in lines {
            #expect(line.source == exportPath, sourceLocation: sourceLocation)
            #expect(!line.message.isEmpty, "line \(line.line) has a message", sourceLocation: sourceLocation)
        }
    }

    /// The stored instant of an event, in microseconds since the epoch.
    func storedMicroseconds(of transactionId: String, subscription: String = "sub-a") throws -> Int64? {
        try scalar("""
            SELECT (extract(epoch FROM e."timestamp") * 1000000)::bigint FROM events e
            JOIN subscriptions s ON s.id = e.subscription_id
            WHERE e.transaction_id = $1 AND s.external_id = $2
            """, [transactionId, subscription]).flatMap { Int64($0) }
    }

    /// A stored event's column (`units::text`, `properties->>'note'`, …) by transaction id.
    func stored(_ expression: String, of transactionId: String, subscription: String = "sub-a") throws -> String? {
        try scalar("""
            SELECT \(expression) FROM events e JOIN subscriptions s ON s.id = e.subscription_id
            WHERE e.transaction_id = $1 AND s.external_id = $2
            """, [transactionId, subscription])
    }
}
