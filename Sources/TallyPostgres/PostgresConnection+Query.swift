import CLibPQ

extension PostgresConnection {
    /// Runs a query and decodes every row into `Row` by column name (see `PostgresRowDecoder`).
    public func query<Row: Decodable>(
        _ sql: String, _ parameters: [any PostgresEncodable] = [], as type: Row.Type = Row.self
    ) throws -> [Row] {
        let result = try run(sql, parameters)
        defer { PQclear(result) }
        let columns = PostgresColumns(result: result, query: Self.statementName(sql))
        return try (0..<PQntuples(result)).map { row in
            try Row(from: PostgresRowDecoder(row: PostgresRow(result: result, row: row, columns: columns)))
        }
    }

    /// The first row decoded into `Row`, or nil when the query returned none.
    public func queryFirst<Row: Decodable>(
        _ sql: String, _ parameters: [any PostgresEncodable] = [], as type: Row.Type = Row.self
    ) throws -> Row? {
        try query(sql, parameters, as: type).first
    }

    /// The value of the column `column` in the one row the query returns. An optional `Value`
    /// takes NULL; no row, or more than one, is an error.
    public func queryValue<Value: PostgresDecodable>(
        _ sql: String, _ parameters: [any PostgresEncodable] = [], column: String, as type: Value.Type = Value.self
    ) throws -> Value {
        let result = try run(sql, parameters)
        defer { PQclear(result) }
        let columns = PostgresColumns(result: result, query: Self.statementName(sql))
        guard PQntuples(result) == 1 else {
            throw PostgresDecodingError(query: columns.query, column: column,
                                        message: "expected one row, got \(PQntuples(result))")
        }
        return try PostgresRow(result: result, row: 0, columns: columns).decode(type, column: column)
    }

    /// Streams the rows of a query, one at a time (libpq's single-row mode), decoded into `Row`:
    /// memory does not grow with the result. The connection is busy until it returns; when `body`
    /// throws, the query is cancelled.
    public func forEachRow<Row: Decodable>(
        _ sql: String, _ parameters: [any PostgresEncodable] = [], as type: Row.Type = Row.self,
        _ body: (Row) throws -> Void
    ) throws {
        let operation = Self.summary(of: sql)
        let texts = parameters.map { $0.postgresText }
        let sent = texts.withCStringArray { values in
            PQsendQueryParams(handle, sql, Int32(values.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else {
            throw PostgresError(operation: operation, message: Self.trimmed(PQerrorMessage(handle)), code: .connectionException)
        }
        guard PQsetSingleRowMode(handle) == 1 else {
            drainResults()
            throw PostgresError(operation: operation, message: "libpq refused single-row mode")
        }
        var columns: PostgresColumns?
        while let raw = PQgetResult(handle) {
            let result: OpaquePointer
            do {
                result = try check(raw, operation: operation)
            } catch {
                drainResults()
                throw error
            }
            defer { PQclear(result) }
            guard PQresultStatus(result) == PGRES_SINGLE_TUPLE else { continue }
            let names = columns ?? PostgresColumns(result: result, query: Self.statementName(sql))
            columns = names
            do {
                try body(try Row(from: PostgresRowDecoder(row: PostgresRow(result: result, row: 0, columns: names))))
            } catch {
                cancel()
                drainResults()
                throw error
            }
        }
    }

    /// Every row of a query as text cells, in column order, NULL as nil: for tests and diagnostics
    /// that compare whole results. Product code decodes rows with `query`.
    public func textRows(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> [[String?]] {
        let result = try run(sql, parameters)
        defer { PQclear(result) }
        let columns = PostgresColumns(result: result, query: Self.statementName(sql))
        return (0..<PQntuples(result)).map { PostgresRow(result: result, row: $0, columns: columns).texts }
    }

    /// Asks the server to stop the running statement (best effort).
    private func cancel() {
        guard let cancel = PQgetCancel(handle) else { return }
        defer { PQfreeCancel(cancel) }
        var message = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &message, Int32(message.count))
    }
}
