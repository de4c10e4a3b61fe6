import TallyCore
import TallyPostgres

/// The record of nightly runs (`runs`, one row per `tally run`, and `run_stages`, one per stage of
/// it), and the run lock that keeps two runs off one database.
public struct RunStore {
    let connection: PostgresConnection

    // MARK: The run lock

    /// Takes the run lock for the life of the connection if it is free; otherwise returns who
    /// holds it (nil when it was taken). Callers that wait try again: a wait inside the server
    /// could not be interrupted reliably.
    public func lock() throws -> AdvisoryLock.Holder? {
        if try AdvisoryLock.run.tryHoldForSession(connection) { return nil }
        return try AdvisoryLock.run.holder(connection) ?? AdvisoryLock.Holder(pid: 0, applicationName: nil, backendStart: nil)
    }

    // MARK: Runs and their stages

    /// Marks runs and stages still `running` as `interrupted`: with the run lock held, they were
    /// killed before they could say how they ended.
    public func markAbandonedRunsInterrupted() throws {
        try connection.execute("UPDATE runs SET outcome = 'interrupted', finished_at = now() WHERE outcome = 'running'")
        try connection.execute("UPDATE run_stages SET outcome = 'interrupted', finished_at = now() WHERE outcome = 'running'")
    }

    /// Records the start of a run; returns its id.
    public func start(pipeline: String, asOf: UTCInstant) throws -> Int64 {
        try connection.queryValue("INSERT INTO runs (pipeline, as_of) VALUES ($1, $2::timestamptz) RETURNING id",
                                  [pipeline, asOf], column: "id")
    }

    /// Records how a run ended (`succeeded`, `rejects`, `failed`) and its summary.
    public func finish(run: Int64, outcome: String, summary: JSONValue) throws {
        try connection.execute("UPDATE runs SET finished_at = now(), outcome = $2, summary = $3::jsonb WHERE id = $1",
                               [run, outcome, summary.serialized])
    }

    public func startStage(run: Int64, stage: String) throws {
        try connection.execute("INSERT INTO run_stages (run_id, stage) VALUES ($1, $2)", [run, stage])
    }

    /// Records a stage that succeeded, with what it counted.
    public func finishStage(run: Int64, stage: String, counts: [String: Int]) throws {
        let json = JSONValue.object(JSONObject(counts.sorted { $0.key < $1.key }.map { ($0.key, .number(String($0.value))) }))
        try connection.execute(
            "UPDATE run_stages SET finished_at = now(), outcome = 'succeeded', counts = $3::jsonb WHERE run_id = $1 AND stage = $2",
            [run, stage, json.serialized])
    }

    /// Records a stage that failed, and why.
    public func failStage(run: Int64, stage: String, message: String) throws {
        try connection.execute(
            "UPDATE run_stages SET finished_at = now(), outcome = 'failed', message = $3 WHERE run_id = $1 AND stage = $2",
            [run, stage, message])
    }
}
