import TallyPostgres

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
        Migration(version: 2, name: "daily usage rollups, invoices, fees", sql: """
            -- The metric's filter keys, to project an event's properties onto its rollup bucket.
            ALTER TABLE billable_metrics ADD COLUMN filter_keys text[] NOT NULL DEFAULT '{}';
            UPDATE billable_metrics SET filter_keys = ARRAY(
                SELECT f ->> 'key' FROM jsonb_array_elements(definition -> 'filters') f);
            -- Usage per subscription, metric, day and filter-key values, kept at ingest so that
            -- closing a period reads days, not raw events. The day is the calendar date in the
            -- customer's billing timezone, so a month's days are exactly its period; when that
            -- timezone changes, the customer's rollups are rebuilt.
            CREATE TABLE event_rollups (
                subscription_id bigint NOT NULL,
                code text NOT NULL,
                day date NOT NULL,
                filter_values jsonb NOT NULL,
                units numeric NOT NULL,
                events_count bigint NOT NULL,
                PRIMARY KEY (subscription_id, code, day, filter_values)
            );
            INSERT INTO event_rollups
            SELECT e.subscription_id, e.code,
                   (e."timestamp" AT TIME ZONE coalesce(c.timezone, (SELECT timezone FROM organization), 'UTC'))::date,
                   coalesce((SELECT jsonb_object_agg(p.key, p.value) FROM jsonb_each(e.properties) p
                             WHERE p.key = ANY (m.filter_keys)), '{}'),
                   sum(e.units), count(*)
            FROM events e JOIN billable_metrics m ON m.code = e.code
            JOIN subscriptions s ON s.id = e.subscription_id JOIN customers c ON c.id = s.customer_id
            GROUP BY 1, 2, 3, 4;
            CREATE TABLE invoices (
                id bigserial PRIMARY KEY,
                lago_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                number text NOT NULL UNIQUE,
                customer_id bigint NOT NULL REFERENCES customers,
                sequential_id integer NOT NULL,
                period text NOT NULL,
                period_from timestamptz NOT NULL,
                period_to timestamptz NOT NULL,
                issuing_date date NOT NULL,
                currency text NOT NULL,
                status text NOT NULL CHECK (status IN ('finalized', 'voided')),
                payment_status text NOT NULL,
                fees_amount_cents bigint NOT NULL,
                taxes_amount_cents bigint NOT NULL,
                sub_total_excluding_taxes_amount_cents bigint NOT NULL,
                sub_total_including_taxes_amount_cents bigint NOT NULL,
                prepaid_credit_amount_cents bigint NOT NULL,
                prepaid_granted_credit_amount_cents bigint NOT NULL,
                prepaid_purchased_credit_amount_cents bigint NOT NULL,
                total_amount_cents bigint NOT NULL CHECK (total_amount_cents >= 0),
                voided_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (customer_id, sequential_id)
            );
            CREATE UNIQUE INDEX invoices_one_live_per_period ON invoices (customer_id, period) WHERE status <> 'voided';
            CREATE TABLE fees (
                id bigserial PRIMARY KEY,
                lago_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                invoice_id bigint NOT NULL REFERENCES invoices,
                subscription_id bigint NOT NULL REFERENCES subscriptions,
                fee_type text NOT NULL CHECK (fee_type IN ('charge', 'subscription')),
                item_code text NOT NULL,
                item_name text NOT NULL,
                invoice_display_name text,
                filter_invoice_display_name text,
                filters json,
                units numeric NOT NULL,
                events_count bigint NOT NULL,
                precise_amount numeric NOT NULL,
                amount_cents bigint NOT NULL,
                unpriced boolean NOT NULL DEFAULT false,
                from_date timestamptz NOT NULL,
                to_date timestamptz NOT NULL,
                position integer NOT NULL
            );
            ALTER TABLE wallet_transactions ADD COLUMN invoice_id bigint REFERENCES invoices;
            -- Lago's ids for the objects an invoice document names.
            ALTER TABLE customers ADD COLUMN lago_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid();
            ALTER TABLE subscriptions ADD COLUMN lago_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid();
            """),
        Migration(version: 3, name: "runs and their stages, Lago ids of metrics and plans", sql: """
            ALTER TABLE billable_metrics ADD COLUMN lago_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid();
            ALTER TABLE plans ADD COLUMN lago_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid();
            -- One row per `tally run`, and one per stage of it: when, what it counted, how it ended.
            CREATE TABLE runs (
                id bigserial PRIMARY KEY,
                pipeline text NOT NULL,
                as_of timestamptz NOT NULL,
                started_at timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz,
                outcome text NOT NULL DEFAULT 'running'
                    CHECK (outcome IN ('running', 'succeeded', 'rejects', 'failed', 'interrupted')),
                summary jsonb
            );
            CREATE TABLE run_stages (
                run_id bigint NOT NULL REFERENCES runs,
                stage text NOT NULL,
                started_at timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz,
                outcome text NOT NULL DEFAULT 'running',
                counts jsonb,
                message text,
                PRIMARY KEY (run_id, stage)
            );
            -- Export files recognised by content, so an export dropped twice is ingested once.
            ALTER TABLE ingests ADD COLUMN sha256 text;
            -- The closed periods an ingest added late events to: [{customer, period, events}].
            ALTER TABLE ingests ADD COLUMN late_periods jsonb NOT NULL DEFAULT '[]';
            CREATE INDEX ingests_sha256 ON ingests (sha256);
            """),
        Migration(version: 4, name: "leaner events for bulk loads", sql: """
            -- An event is found again through (ingest_id, source_line): its export file and line. The
            -- unique key (subscription_id, transaction_id) is the only index a bulk load maintains.
            ALTER TABLE events DROP COLUMN raw, DROP COLUMN id;
            -- Usage rolled up per calendar month (its first day, in the customer's timezone) instead
            -- of per day: periods are whole months, and a month has a thirtieth of the rows to
            -- write at ingest and to read at close.
            CREATE TABLE monthly_rollups AS
            SELECT subscription_id, code, date_trunc('month', day)::date AS month, filter_values,
                   sum(units) AS units, sum(events_count)::bigint AS events_count
            FROM event_rollups GROUP BY 1, 2, 3, 4;
            DROP TABLE event_rollups;
            ALTER TABLE monthly_rollups RENAME TO event_rollups;
            ALTER TABLE event_rollups ALTER COLUMN units SET NOT NULL, ALTER COLUMN events_count SET NOT NULL,
                ADD PRIMARY KEY (subscription_id, code, month, filter_values);
            """),
        Migration(version: 5, name: "fees without per-row foreign-key checks", sql: """
            -- Close writes an invoice's fees in the transaction that writes the invoice, for the
            -- subscriptions it has just read; checking both references row by row cost a third of
            -- closing 10,000 subscriptions. Invoices keep their reference to the customer.
            ALTER TABLE fees DROP CONSTRAINT fees_invoice_id_fkey, DROP CONSTRAINT fees_subscription_id_fkey;
            """),
        Migration(version: 6, name: "each ingest's rejects file", sql: """
            -- <out>/rejects/<export name>.<ingest id>.rejects.ndjson, when the ingest rejected events.
            ALTER TABLE ingests ADD COLUMN rejects_file text;
            """),
        Migration(version: 7, name: "what every aggregation and charge model needs", sql: """
            -- What a bucket keeps beyond its sum and count, filled for the metrics aggregating so
            -- (null otherwise; a metric whose aggregation changes has its rollups rebuilt):
            -- max_agg its largest value; latest_agg its latest event's value, timestamp and arrival
            -- (ingest id << 40 | line); weighted_sum_agg Σ value × microseconds since the month began.
            ALTER TABLE event_rollups ADD COLUMN max_units numeric, ADD COLUMN latest_at timestamptz,
                ADD COLUMN latest_arrival bigint, ADD COLUMN latest_units numeric, ADD COLUMN weighted_micros numeric;
            -- unique_count_agg: each distinct value of a bucket and the last operation on it.
            CREATE TABLE event_unique_values (
                subscription_id bigint NOT NULL, code text NOT NULL, month date NOT NULL, filter_values jsonb NOT NULL,
                value text NOT NULL, last_at timestamptz NOT NULL, last_arrival bigint NOT NULL, added boolean NOT NULL,
                PRIMARY KEY (subscription_id, code, month, filter_values, value)
            );
            -- count_agg metrics have no field.
            ALTER TABLE billable_metrics ALTER COLUMN field_name DROP NOT NULL;
            -- How a fee's amount was reached (Lago's amount_details) and its amount per unit.
            ALTER TABLE fees ADD COLUMN amount_details jsonb, ADD COLUMN precise_unit_amount numeric;
            """),
        Migration(version: 8, name: "plan versions, and the plan each invoiced subscription was rated with", sql: """
            -- Every definition a plan has had: version 1 as first applied, one more for each apply that
            -- changed it. Plans stored before this migration start at version 1, their definition then.
            CREATE TABLE plan_versions (
                plan_id bigint NOT NULL REFERENCES plans,
                version integer NOT NULL CHECK (version >= 1),
                definition jsonb NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (plan_id, version)
            );
            INSERT INTO plan_versions (plan_id, version, definition, applied_at) SELECT id, 1, definition, updated_at FROM plans;
            -- The plan each subscription of an invoice was rated with: its version and the definition
            -- rating used, which reprocess rates with again. Written with the invoice, by COPY, so no
            -- foreign keys (as fees, migration 5). Invoices issued before this migration have no rows.
            CREATE TABLE invoice_subscriptions (
                invoice_id bigint NOT NULL,
                subscription_id bigint NOT NULL,
                plan_id bigint NOT NULL,
                plan_version integer NOT NULL,
                plan_definition jsonb NOT NULL,
                PRIMARY KEY (invoice_id, subscription_id)
            );
            """),
        Migration(version: 9, name: "subscriptions terminated from the command line", sql: """
            -- Set by `tally subscription terminate`, apart from the catalog's ending_at, so that applying a
            -- catalog file again does not undo a termination. A subscription ends at the earlier of the two.
            ALTER TABLE subscriptions ADD COLUMN terminated_at timestamptz;
            """),
        Migration(version: 10, name: "spending minimums: true-up and commitment fees", sql: """
            -- A charge's true-up to its min_amount_cents, and a plan's minimum commitment fee.
            ALTER TABLE fees DROP CONSTRAINT fees_fee_type_check,
                ADD CONSTRAINT fees_fee_type_check
                    CHECK (fee_type IN ('charge', 'subscription', 'charge_true_up', 'commitment'));
            """),
        Migration(version: 11, name: "start invoices of pay-in-advance subscriptions", sql: """
            -- A start invoice bills a pay-in-advance subscription's first period when it starts; it
            -- names that subscription. Period invoices have none, and stay one live per customer and
            -- period; a subscription has at most one live start invoice.
            ALTER TABLE invoices ADD COLUMN starting_subscription_id bigint;
            DROP INDEX invoices_one_live_per_period;
            CREATE UNIQUE INDEX invoices_one_live_per_period ON invoices (customer_id, period)
                WHERE status <> 'voided' AND starting_subscription_id IS NULL;
            CREATE UNIQUE INDEX invoices_one_live_start ON invoices (starting_subscription_id)
                WHERE status <> 'voided' AND starting_subscription_id IS NOT NULL;
            """),
        Migration(version: 12, name: "subscriptions moved to another plan at a date", sql: """
            -- `tally subscription change-plan` ends a subscription's row at the change and continues it
            -- in a new row on the other plan, with the same external_id (Lago's upgrade makes a new
            -- subscription too): events after the change go to the new row, so each part is rated
            -- with its own plan. Only the current row of an external_id is the catalog's.
            ALTER TABLE subscriptions ADD COLUMN previous_subscription_id bigint REFERENCES subscriptions,
                ADD COLUMN superseded boolean NOT NULL DEFAULT false;
            ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_external_id_key;
            CREATE UNIQUE INDEX subscriptions_current_external_id ON subscriptions (external_id) WHERE NOT superseded;
            """),
        Migration(version: 13, name: "invoices recording a plan version without copying its definition", sql: """
            -- A subscription rated with a plan version as plan_versions keeps it records the version alone
            -- (plan_definition null); only a definition with plan_overrides applied is written out.
            ALTER TABLE invoice_subscriptions ALTER COLUMN plan_definition DROP NOT NULL;
            """),
        Migration(version: 14, name: "the periods an invoice bills of each subscription", sql: """
            -- Lago's billing_periods: the span of the subscription fee and of the charges each invoiced
            -- subscription is billed for. Null on rows written before this migration.
            ALTER TABLE invoice_subscriptions ADD COLUMN subscription_from timestamptz, ADD COLUMN subscription_to timestamptz,
                ADD COLUMN charges_from timestamptz, ADD COLUMN charges_to timestamptz;
            -- An ingest looks up the invoices of the subscriptions its late events belong to.
            CREATE INDEX invoice_subscriptions_subscription ON invoice_subscriptions (subscription_id);
            """),
        Migration(version: 15, name: "taxes, and what taxes and coupons take from fees and invoices", sql: """
            CREATE TABLE taxes (
                id bigserial PRIMARY KEY,
                lago_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                code text NOT NULL UNIQUE,
                definition jsonb NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            -- A fee's share of the invoice's coupons (exact), and its taxes: their sum rounded once, the
            -- exact sum, the sum of the rates, and each tax applied (code, name, rate, amounts) as JSON.
            ALTER TABLE fees ADD COLUMN precise_coupons_amount numeric NOT NULL DEFAULT 0,
                ADD COLUMN taxes_amount_cents bigint NOT NULL DEFAULT 0, ADD COLUMN taxes_precise_amount numeric NOT NULL DEFAULT 0,
                ADD COLUMN taxes_rate numeric NOT NULL DEFAULT 0, ADD COLUMN applied_taxes jsonb;
            -- The invoice's coupons, and each tax it applies with the fees it applies to, as JSON.
            ALTER TABLE invoices ADD COLUMN coupons_amount_cents bigint NOT NULL DEFAULT 0, ADD COLUMN applied_taxes jsonb;
            """),
        Migration(version: 16, name: "coupons, applied coupons and what they took from invoices", sql: """
            CREATE TABLE coupons (
                id bigserial PRIMARY KEY,
                lago_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                code text NOT NULL UNIQUE,
                definition jsonb NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            -- A coupon applied to a customer, once: its definition holds the overrides of its terms.
            CREATE TABLE applied_coupons (
                id bigserial PRIMARY KEY,
                lago_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                customer_id bigint NOT NULL REFERENCES customers,
                coupon_id bigint NOT NULL REFERENCES coupons,
                definition jsonb NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (customer_id, coupon_id)
            );
            -- What a coupon took from an invoice (Lago's credits). What is left of a coupon is counted from
            -- the credits of live invoices, so voiding an invoice gives its coupons back.
            CREATE TABLE credits (
                id bigserial PRIMARY KEY,
                lago_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                invoice_id bigint NOT NULL REFERENCES invoices,
                applied_coupon_id bigint NOT NULL REFERENCES applied_coupons,
                amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
                position integer NOT NULL
            );
            CREATE INDEX credits_applied_coupon ON credits (applied_coupon_id);
            CREATE INDEX credits_invoice ON credits (invoice_id);
            """),
        Migration(version: 17, name: "credit notes, and the credit they give to later invoices", sql: """
            -- A credit note of an issued invoice: its items (amounts of the invoice's fees), their taxes, and
            -- its total split into credit (for the customer's next invoices) and refund.
            CREATE TABLE credit_notes (
                id bigserial PRIMARY KEY,
                lago_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                number text NOT NULL UNIQUE,
                invoice_id bigint NOT NULL REFERENCES invoices,
                customer_id bigint NOT NULL REFERENCES customers,
                sequential_id integer NOT NULL,
                reason text NOT NULL,
                description text,
                issuing_date date NOT NULL,
                currency text NOT NULL,
                coupons_adjustment_amount numeric NOT NULL,
                sub_total_excluding_taxes_amount_cents bigint NOT NULL,
                taxes_amount_cents bigint NOT NULL,
                total_amount_cents bigint NOT NULL CHECK (total_amount_cents >= 0),
                credit_amount_cents bigint NOT NULL CHECK (credit_amount_cents >= 0),
                refund_amount_cents bigint NOT NULL CHECK (refund_amount_cents >= 0),
                applied_taxes jsonb,
                created_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (invoice_id, sequential_id)
            );
            CREATE TABLE credit_note_items (
                id bigserial PRIMARY KEY,
                lago_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                credit_note_id bigint NOT NULL REFERENCES credit_notes,
                fee_id bigint NOT NULL REFERENCES fees,
                amount_cents bigint NOT NULL CHECK (amount_cents > 0),
                position integer NOT NULL
            );
            -- A credit is a coupon's (before taxes) or a credit note's (after taxes).
            ALTER TABLE credits ALTER COLUMN applied_coupon_id DROP NOT NULL,
                ADD COLUMN credit_note_id bigint REFERENCES credit_notes,
                ADD CONSTRAINT credits_one_source CHECK ((applied_coupon_id IS NULL) <> (credit_note_id IS NULL));
            CREATE INDEX credits_credit_note ON credits (credit_note_id);
            ALTER TABLE invoices ADD COLUMN credit_notes_amount_cents bigint NOT NULL DEFAULT 0;
            """),
    ]

    /// The schema version this build of Tally expects.
    public static var latestVersion: Int { migrations.map(\.version).max() ?? 0 }

    /// The schema version of the database (0 when it was never migrated).
    public static func version(_ connection: PostgresConnection) throws -> Int {
        guard try connection.queryValue("SELECT to_regclass('schema_migrations') IS NOT NULL AS exists", column: "exists", as: Bool.self)
        else { return 0 }
        return try connection.queryValue("SELECT coalesce(max(version), 0) AS version FROM schema_migrations", column: "version")
    }

    /// Applies the migrations this database lacks, in one transaction. Returns the versions applied.
    @discardableResult
    public static func migrate(_ connection: PostgresConnection) throws -> [Int] {
        try connection.transaction {
            try AdvisoryLock.migration.holdForTransaction(connection)
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            struct Applied: Decodable { let version: Int }
            let applied = Set(try connection.query("SELECT version FROM schema_migrations", as: Applied.self).map(\.version))
            if let newest = applied.max(), newest > latestVersion {
                throw PostgresError(
                    operation: "migrating",
                    message: "the database is at schema version \(newest), newer than this tally (\(latestVersion)): upgrade tally")
            }
            var done: [Int] = []
            for migration in migrations where !applied.contains(migration.version) {
                try connection.executeScript(migration.sql, operation: "applying migration \(migration.version) (\(migration.name))")
                try connection.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name])
                done.append(migration.version)
            }
            return done
        }
    }
}
