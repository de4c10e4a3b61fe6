/// Every knob that trades memory or threads for speed on this kind of machine (2 cores), in one
/// place. None of them changes what Tally computes; the embedded cluster's own server settings
/// are in `EmbeddedCluster` (postgresql.conf).
enum Tuning {
    /// Session settings of every connection. Ingest stages a file in a temporary table and sorts
    /// it: keep both in memory up to a size where spilling to disk would dominate. `temp_buffers`
    /// only counts before a session's first temporary table, hence at connection.
    static let sessionSettings: [(name: String, value: String)] = [("temp_buffers", "1GB"), ("work_mem", "512MB")]

    /// Valid events per key-ordered run of the direct load: PostgreSQL fills its unique index page
    /// by page within a run. Memory holds at most `readAheadRuns + 2` runs.
    static let ingestRowsPerRun = 131_072

    /// Distinct unique-count values (per usage bucket) the direct load keeps in memory for one
    /// export (about 200 bytes each); an export with more goes through the staged load, which
    /// aggregates them in PostgreSQL, so memory does not grow with the export.
    static let directLoadUniqueValues = 250_000

    /// Runs the reader thread may have ready while the loader sends the previous one.
    static let readAheadRuns = 1

    /// Records between two progress reports while reading an export.
    static let ingestProgressInterval = 65_536

    /// Records between two checks for SIGINT/SIGTERM while reading an export (a few milliseconds).
    static let interruptionCheckInterval = 1_024

    /// Customers whose usage close reads and rates at once: bounds the memory a month's distinct
    /// unique-count values take, at a query per month per this many customers.
    static let closeRatingCustomers = 2_500

    /// Invoices committed per transaction by close: a crash loses at most a batch, which the next
    /// close issues again with the same numbers.
    static let closeBatchSize = 2_500

    /// Threads writing invoice files.
    static let invoiceFileWriters = 2
}
