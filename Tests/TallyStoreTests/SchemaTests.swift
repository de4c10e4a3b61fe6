import Testing
import TallyCore
import TallyPostgres
@testable import TallyStore

/// The numbered migrations: a fresh database gets them all, a migrated one none, an older one the
/// ones it lacks, and a database from a newer Tally is refused untouched.
@Suite struct SchemaTests {
    /// The tables docs/ARCHITECTURE.md lists, which the latest schema has.
    static let tables = [
        "organization", "billable_metrics", "plans", "customers", "subscriptions", "wallets", "wallet_transactions",
        "ingests", "events", "event_rollups", "invoices", "fees", "runs", "run_stages", "schema_migrations",
    ]

    @Test func aFreshDatabaseMigratesToTheLatestVersion() throws {
        let db = try TestStore(migrated: false)
        #expect(try db.store.schemaVersion() == 0)

        let applied = try db.store.migrate()
        #expect(applied == Schema.migrations.map(\.version))
        // Branches number their migrations ahead of one another, so a version may be missing for a while;
        // the order and uniqueness are what migrating relies on.
        #expect(applied == Array(Set(applied)).sorted(), "versions are applied in ascending order, each once")
        #expect(applied.first == 1 && applied.last == Schema.latestVersion)
        #expect(try db.store.schemaVersion() == Schema.latestVersion)
        #expect(try db.rows("SELECT version FROM schema_migrations ORDER BY version").map { $0[0] }
                == applied.map { String($0) })
        for table in Self.tables {
            #expect(try db.scalar("SELECT to_regclass($1) IS NOT NULL", [table]) == "t", "table \(table) exists")
        }
    }

    @Test func migratingAgainAppliesNothing() throws {
        let db = try TestStore()
        #expect(try db.store.migrate() == [])
        // Another connection (another tally) finds nothing to do either.
        let other = try Store(connectionString: db.scratch.connectionString)
        #expect(try other.migrate() == [])
        #expect(try other.schemaVersion() == Schema.latestVersion)
        #expect(try db.count("schema_migrations") == Schema.migrations.count)
    }

    @Test func aDatabaseClaimingANewerVersionIsRefusedUntouched() throws {
        let db = try TestStore()
        let newer = Schema.latestVersion + 1
        try db.raw.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, 'from a newer tally')", [newer])

        let error = try #require(throws: PostgresError.self) { try db.store.migrate() }
        #expect(error.description.contains("upgrade tally"), "\(error)")
        #expect(error.description.contains("schema version \(newer)"), "\(error)")
        #expect(try db.store.schemaVersion() == newer)
        #expect(try db.count("schema_migrations") == Schema.migrations.count + 1)
        // The refusal rolled its transaction back: the store's connection is usable.
        #expect(try db.store.transaction { try db.store.catalog.save(Organization(name: "Acme")) } == .created)
    }

    @Test func aDatabaseAtAnOlderVersionGetsOnlyTheMigrationsItLacks() throws {
        let db = try TestStore(migrated: false)
        try Self.migrateByHand(db, through: 3)
        #expect(try db.store.schemaVersion() == 3)

        #expect(try db.store.migrate() == Schema.migrations.map(\.version).filter { $0 >= 4 })
        #expect(try db.store.schemaVersion() == Schema.latestVersion)
        #expect(try db.store.migrate() == [])
    }

    /// Migrations 2 (daily rollups, summed from the events in each customer's billing timezone) and
    /// 4 (daily rollups summed into months) turn the events of a version-1 database into the
    /// monthly rollups ingest would have written.
    @Test func eventsStoredBeforeRollupsExistedAreRolledUpByMonthInTheCustomersTimezone() throws {
        let db = try TestStore(migrated: false)
        try Self.migrateByHand(db, through: 1)
        try db.raw.executeScript(#"""
            INSERT INTO organization (id, name, document_number_prefix, timezone, definition) VALUES (1, 'Acme', 'ACM', 'UTC', '{}');
            INSERT INTO billable_metrics (id, code, field_name, definition)
                VALUES (1, 'tokens', 'tokens', '{"code": "tokens", "filters": [{"key": "model", "values": ["small", "large"]}]}');
            INSERT INTO plans (id, code, currency, definition) VALUES (1, 'pro', 'USD', '{}');
            INSERT INTO customers (id, external_id, sequential_id, timezone, definition) VALUES
                (1, 'paris', 1, 'Europe/Paris', '{}'), (2, 'org-zone', 2, NULL, '{}');
            INSERT INTO subscriptions (id, external_id, customer_id, plan_id, started_at, definition) VALUES
                (1, 'paris-main', 1, 1, '2026-01-01T00:00:00Z', '{}'), (2, 'org-zone-main', 2, 1, '2026-01-01T00:00:00Z', '{}');
            INSERT INTO events (subscription_id, transaction_id, code, "timestamp", properties, units, ingest_id, source_line, raw) VALUES
                (1, 'p1', 'tokens', '2026-10-31T23:30:00Z', '{"model": "small", "note": "x"}', 10, 1, 1, ''),
                (1, 'p2', 'tokens', '2026-10-15T12:00:00Z', '{"model": "small"}', 5, 1, 2, ''),
                (1, 'p3', 'tokens', '2026-10-20T12:00:00Z', '{"model": "small"}', 2.5, 1, 3, ''),
                (2, 'u1', 'tokens', '2026-10-31T23:30:00Z', '{"model": "large"}', 100, 1, 4, ''),
                (2, 'u2', 'tokens', '2026-10-05T00:00:00Z', '{"note": "no model"}', 1, 1, 5, '');
            """#, operation: "filling a version-1 database")

        #expect(try db.store.migrate() == Schema.migrations.map(\.version).filter { $0 >= 2 })

        // p1 is 00:30 on 1 November in Paris (UTC+1 after 25 October); u1 stays in October for a
        // customer on the organization's UTC. p2 and p3 fall on two days of one month: one row.
        // Properties that are not filter keys (note) are not part of a bucket.
        let rollups = try db.rows("""
            SELECT subscription_id::text, code, month::text, filter_values::text, units::text, events_count::text FROM event_rollups
            """).map { $0.map { $0 ?? "NULL" }.joined(separator: " | ") }.sorted()
        #expect(rollups == [
            #"1 | tokens | 2026-10-01 | {"model": "small"} | 7.5 | 2"#,
            #"1 | tokens | 2026-11-01 | {"model": "small"} | 10 | 1"#,
            #"2 | tokens | 2026-10-01 | {"model": "large"} | 100 | 1"#,
            #"2 | tokens | 2026-10-01 | {} | 1 | 1"#,
        ])
        #expect(try db.scalar("SELECT filter_keys::text FROM billable_metrics WHERE code = 'tokens'") == "{model}")
        #expect(try db.count("events") == 5)
        #expect(try db.scalar("""
            SELECT count(*) FROM information_schema.columns WHERE table_name = 'events' AND column_name IN ('id', 'raw')
            """) == "0", "migration 4 dropped the events' id and raw columns")
    }

    /// Applies migrations 1...`version` the way an older tally left them: each one's SQL, recorded
    /// in `schema_migrations`.
    static func migrateByHand(_ db: TestStore, through version: Int) throws {
        try db.raw.execute("""
            CREATE TABLE schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """)
        for migration in Schema.migrations where migration.version <= version {
            try db.raw.executeScript(migration.sql, operation: "migration \(migration.version)")
            try db.raw.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name])
        }
    }
}
