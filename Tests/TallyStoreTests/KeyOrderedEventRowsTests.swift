import Testing
import TallyCore
import TallyStore

/// The direct load sends events in runs sorted by key (subscription, then transaction id bytes),
/// so PostgreSQL fills its unique index page by page; a run that repeats a key is refused.
@Suite struct KeyOrderedEventRowsTests {
    @Test func aRunPutsItsRowsInKeyOrderAndRefusesARepeatedKey() throws {
        func event(_ subscription: Int64, _ transactionId: String) -> ValidatedEvent {
            ValidatedEvent(subscriptionId: subscription, transactionId: transactionId, code: "ai_tokens",
                           timestamp: UTCInstant(microsecondsSinceEpoch: 0), properties: [], units: ExactDecimal(1))
        }
        var run = KeyOrderedEventRows(rowLimit: 100)
        // Keys sharing their first 8 bytes, and one a prefix of another, order by bytes then length.
        for (line, key) in ([(2, "b"), (1, "zz"), (2, "abcdefghij"), (1, "z"), (2, "abcdefgh"), (2, "a"), (2, "abcdefgi")] as [(Int64, String)]).enumerated() {
            run.append(event(key.0, key.1), line: line + 1, ingestId: 1)
        }
        try run.sortByKey()
        #expect(run.sampleKeys(limit: 100).map { "\($0.subscriptionId):\($0.transactionId)" }
                == ["1:z", "1:zz", "2:a", "2:abcdefgh", "2:abcdefghij", "2:abcdefgi", "2:b"])

        run.append(event(2, "abcdefghij"), line: 8, ingestId: 1)
        #expect(throws: KeyOrderedEventRows.DuplicateKey.self) { try run.sortByKey() }
    }
}
