/// Tally's schema, as numbered migrations applied in order, each in its own transaction.
///
/// Never edit a migration that has shipped: add the next one.
public enum Schema {
    struct Migration {
        let version: Int
        let name: String
        let sql: String
    }

    static let migrations: [Migration] = [
        Migration(version: 1, name: "catalog, ingests and events", sql: """
            CREATE TABLE organization (
                id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
                name text NOT NULL,
                document_number_prefix text NOT NULL,
                timezone text NOT NULL,
                definition jsonb NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE billable_metrics (
                id bigserial PRIMARY KEY,
                code text NOT NULL UNIQUE,
                field_name text NOT NULL,
                definition jsonb NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE plans (
                id bigserial PRIMARY KEY,
                code text NOT NULL UNIQUE,
                currency text NOT NULL,
                definition jsonb NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE customers (
                id bigserial PRIMARY KEY,
                external_id text NOT NULL UNIQUE,
                sequential_id integer NOT NULL UNIQUE,
                currency text,
                timezone text,
                definition jsonb NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE subscriptions (
                id bigserial PRIMARY KEY,
                external_id text NOT NULL UNIQUE,
                customer_id bigint NOT NULL REFERENCES customers,
                plan_id bigint NOT NULL REFERENCES plans,
                started_at timestamptz NOT NULL,
                ending_at timestamptz,
                definition jsonb NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE wallets (
                id bigserial PRIMARY KEY,
                customer_id bigint NOT NULL REFERENCES customers,
                name text NOT NULL,
                currency text NOT NULL,
                rate_amount numeric NOT NULL CHECK (rate_amount > 0),
                priority integer NOT NULL,
                definition jsonb NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (customer_id, name)
            );
            -- Every movement of credits; a wallet's balance is the sum of its transactions.
            CREATE TABLE wallet_transactions (
                id bigserial PRIMARY KEY,
                wallet_id bigint NOT NULL REFERENCES wallets,
                direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
                granted_credits numeric NOT NULL DEFAULT 0 CHECK (granted_credits >= 0),
                purchased_credits numeric NOT NULL DEFAULT 0 CHECK (purchased_credits >= 0),
                reason text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            -- One row per export file ingested, committed with its events.
            CREATE TABLE ingests (
                id bigserial PRIMARY KEY,
                source text NOT NULL,
                path text NOT NULL,
                format text NOT NULL,
                started_at timestamptz NOT NULL,
                finished_at timestamptz NOT NULL DEFAULT now(),
                read bigint NOT NULL,
                accepted bigint NOT NULL,
                duplicates bigint NOT NULL,
                rejected bigint NOT NULL,
                rejected_by_reason jsonb NOT NULL,
                CHECK (read = accepted + duplicates + rejected)
            );
            -- Accepted events. No foreign keys: they are checked at ingest, and per-row checks
            -- would slow bulk loads. raw keeps the input line for audit.
            CREATE TABLE events (
                id bigserial PRIMARY KEY,
                subscription_id bigint NOT NULL,
                transaction_id text NOT NULL,
                code text NOT NULL,
                "timestamp" timestamptz NOT NULL,
                properties jsonb NOT NULL,
                units numeric NOT NULL,
                ingest_id bigint NOT NULL,
                source_line bigint NOT NULL,
                raw text NOT NULL,
                UNIQUE (subscription_id, transaction_id)
            );
            """),
    ]

    /// The advisory lock key held while migrating, so two processes never migrate at once.
    static let migrationLockKey: Int64 = 0x7A11_0001

    /// The schema version this build of Tally expects.
    public static var latestVersion: Int { migrations.last!.version }

    /// The schema version of the database (0 when it was never migrated).
    public static func version(_ connection: PostgresConnection) throws -> Int {
        guard try connection.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").scalar == "t" else { return 0 }
        return Int(try connection.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").scalar!)!
    }

    /// Applies the migrations this database lacks. Returns the versions applied.
    @discardableResult
    public static func migrate(_ connection: PostgresConnection) throws -> [Int] {
        return try connection.transaction {
            try connection.execute("SELECT pg_advisory_xact_lock($1)", [String(migrationLockKey)])
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            let applied = Set(try connection.execute("SELECT version FROM schema_migrations").rows.compactMap { $0[0].flatMap(Int.init) })
            if let newest = applied.max(), newest > migrations.last!.version {
                throw PostgresError(
                    operation: "migrating",
                    message: "the database is at schema version \(newest), newer than this tally (\(migrations.last!.version)): upgrade tally")
            }
            var done: [Int] = []
            for migration in migrations where !applied.contains(migration.version) {
                try connection.executeScript(migration.sql, operation: "applying migration \(migration.version) (\(migration.name))")
                try connection.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    [String(migration.version), migration.name])
                done.append(migration.version)
            }
            return done
        }
    }
}
