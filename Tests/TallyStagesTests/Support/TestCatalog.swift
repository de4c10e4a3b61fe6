/// A small catalog the ingest tests validate against: an `ai_tokens` metric (filters
/// `model` and `type`), and three subscriptions of one customer:
/// - `sub-a` and `sub-b`, from 2000-01-01T00:00:00Z with no end, so any in-range timestamp is inside them;
/// - `sub-window`, from 2026-10-15T00:00:00Z to 2026-10-20T00:00:00Z.
enum TestCatalog {
    static let standard = #"""
        {
          "billable_metrics": [{"name": "AI Tokens", "code": "ai_tokens", "aggregation_type": "sum_agg",
                                "field_name": "tokens", "recurring": false,
                                "filters": [{"key": "model", "values": ["mistral-small", "mistral-medium", "mistral-large"]},
                                            {"key": "type", "values": ["input", "output"]}]}],
          "plans": [{"name": "Tokens", "code": "tokens", "amount_cents": 0, "amount_currency": "USD",
                     "interval": "monthly", "pay_in_advance": false,
                     "charges": [{"billable_metric_code": "ai_tokens", "charge_model": "package",
                                  "properties": {"amount": "1", "free_units": 0, "package_size": 1000000}}]}],
          "customers": [{"external_id": "cust", "name": "Customer", "currency": "USD"}],
          "subscriptions": [
            {"external_customer_id": "cust", "plan_code": "tokens", "external_id": "sub-a",
             "subscription_at": "2000-01-01T00:00:00Z"},
            {"external_customer_id": "cust", "plan_code": "tokens", "external_id": "sub-b",
             "subscription_at": "2000-01-01T00:00:00Z"},
            {"external_customer_id": "cust", "plan_code": "tokens", "external_id": "sub-window",
             "subscription_at": "2026-10-15T00:00:00Z", "ending_at": "2026-10-20T00:00:00Z"}
          ]
        }
        """#

    /// The CSV header for the standard catalog's events.
    static let csvHeader = "transaction_id,external_subscription_id,code,timestamp,tokens,model,type"
}

extension TestDatabase {
    /// A fresh database with `TestCatalog.standard` applied.
    static func withStandardCatalog() throws -> TestDatabase {
        let db = try TestDatabase()
        try db.applyCatalog(TestCatalog.standard)
        return db
    }
}
