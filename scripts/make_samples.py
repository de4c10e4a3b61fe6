#!/usr/bin/env python3
"""Regenerate Tally's Mistral sample data (catalogs, event exports, expected ingest report).

    python3 scripts/make_samples.py

Deterministic: standard library only, a fixed random seed, no clock, no network. Every output file is
rewritten from scratch. `expected.json` is derived by construction: each event is written together with
the outcome it was designed to have, and the counts are tallied from those designs, not by validating
the files again.
"""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIR = ROOT / "pipelines" / "mistral"
SAMPLES_DIR = ROOT / "samples" / "mistral"

SEED = 20261031
CSV_EVENT_COUNT = 1500
NDJSON_EVENT_COUNT = 1500

METRIC = "ai_tokens"
MODELS = ["mistral-small", "mistral-medium", "mistral-large"]
TYPES = ["input", "output"]

# The order docs/BILLING.md lists the reject reasons in; also the key order of `rejected_by_reason`.
REASONS = [
    "malformed",
    "missing_field",
    "invalid_timestamp",
    "unknown_metric",
    "unknown_subscription",
    "missing_aggregation_property",
    "invalid_aggregation_property",
    "invalid_filter_value",
    "outside_subscription",
    "duplicate_conflict",
]
ACCEPTED = "accepted"
DUPLICATE = "duplicate"

UTC = timezone.utc


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# ---------------------------------------------------------------------------------------------------
# Catalogs (docs/BILLING.md, the catalog file)

ORGANIZATION = {"name": "Mistral AI", "document_number_prefix": "MIS", "timezone": "UTC"}

BILLABLE_METRIC = {
    "name": "AI Tokens",
    "code": METRIC,
    "description": "Token usage across Mistral AI models",
    "aggregation_type": "sum_agg",
    "field_name": "tokens",
    "recurring": False,
    "filters": [
        {"key": "model", "values": MODELS},
        {"key": "type", "values": TYPES},
    ],
}

# (model, type, amount per package) in plan order.
PRICES = [
    ("mistral-small", "input", "1"),
    ("mistral-small", "output", "3"),
    ("mistral-medium", "input", "2.7"),
    ("mistral-medium", "output", "8.1"),
    ("mistral-large", "input", "4"),
    ("mistral-large", "output", "12"),
]


def package(amount: str) -> dict:
    return {"amount": amount, "free_units": 0, "package_size": 1000000}


def charge_filter(model: str, kind: str, amount: str) -> dict:
    return {
        "invoice_display_name": f"{model}-{kind}",
        "properties": package(amount),
        "values": {"model": [model], "type": [kind]},
    }


def plan(code: str, currency: str, prices: list[tuple[str, str, str]], default_properties: dict | None) -> dict:
    charge = {"billable_metric_id": METRIC, "charge_model": "package"}
    if default_properties is not None:
        charge["properties"] = default_properties
    charge["filters"] = [charge_filter(*price) for price in prices]
    return {
        "name": "Mistral AI Pricing",
        "code": code,
        "amount_cents": 0,
        "amount_currency": currency,
        "interval": "monthly",
        "pay_in_advance": False,
        "charges": [charge],
    }


ACME = {
    "external_id": "acme",
    "name": "Acme Inc",
    "email": "john@acme.com",
    "currency": "USD",
    "timezone": "America/New_York",
}

ACME_WALLET = {
    "name": "AI Credits",
    "external_customer_id": "acme",
    "currency": "USD",
    "paid_credits": "100.0",
    "granted_credits": "25.0",
    "rate_amount": "1.0",
}


def subscription(customer: str, plan_code: str, external_id: str, at: str) -> dict:
    return {"external_customer_id": customer, "plan_code": plan_code, "external_id": external_id, "subscription_at": at}


def full_catalog() -> dict:
    return {
        "organization": ORGANIZATION,
        "billable_metrics": [BILLABLE_METRIC],
        "plans": [
            plan("mistral", "USD", PRICES, package("0")),
            plan("mistral-eur", "EUR", PRICES, package("0")),
        ],
        "customers": [
            ACME,
            {"external_id": "globex", "name": "Globex Corporation", "email": "billing@globex.com",
             "currency": "EUR", "timezone": "Europe/Paris"},
            {"external_id": "initech", "name": "Initech", "email": "accounts@initech.com", "currency": "USD"},
            {"external_id": "hooli", "name": "Hooli", "email": "ap@hooli.com",
             "currency": "USD", "timezone": "America/Los_Angeles"},
        ],
        "subscriptions": [
            subscription("acme", "mistral", "acme-main", "2026-09-15T00:00:00Z"),
            subscription("globex", "mistral-eur", "globex-main", "2026-08-01T00:00:00Z"),
            subscription("initech", "mistral", "initech-main", "2026-01-10T12:00:00Z"),
            subscription("hooli", "mistral", "hooli-main", "2026-10-15T07:00:00Z"),
        ],
        "wallets": [
            ACME_WALLET,
            {"name": "Crédits IA", "external_customer_id": "globex", "currency": "EUR",
             "paid_credits": "50.0", "granted_credits": "0", "rate_amount": "1.0"},
            {"name": "Promo", "external_customer_id": "initech", "currency": "USD",
             "paid_credits": "0", "granted_credits": "10.0", "rate_amount": "1.0", "priority": 1},
            {"name": "Prepaid", "external_customer_id": "initech", "currency": "USD",
             "paid_credits": "500.0", "granted_credits": "0", "rate_amount": "1.0", "priority": 2},
        ],
    }


def seed_catalog() -> dict:
    """The published template, placeholders filled in: no default charge price, no mistral-medium filters."""
    published = [price for price in PRICES if price[0] != "mistral-medium"]
    return {
        "organization": ORGANIZATION,
        "billable_metrics": [BILLABLE_METRIC],
        "plans": [plan("mistral", "USD", published, None)],
        "customers": [ACME],
        "subscriptions": [subscription("acme", "mistral", "acme-main", "2026-09-15T00:00:00Z")],
        "wallets": [ACME_WALLET],
    }


# ---------------------------------------------------------------------------------------------------
# Where each subscription may have October 2026 events (docs/BILLING.md, billing periods): the customer's October in its own
# timezone, from the subscription's start. Offsets are written out rather than read from the system's
# tz database so the output never depends on the machine.


@dataclass(frozen=True)
class Window:
    first: datetime  # first valid instant (inclusive)
    last: datetime  # last valid whole second (the period runs to .999999 after it)
    offsets: tuple[tuple[datetime, timedelta], ...]  # (from instant, UTC offset), in order

    def offset_at(self, instant: datetime) -> timedelta:
        current = self.offsets[0][1]
        for since, offset in self.offsets:
            if instant >= since:
                current = offset
        return current


EPOCH_START = utc("2000-01-01T00:00:00Z")
WINDOWS = {
    # America/New_York: EDT (-04:00) for the whole of October 2026 (DST ends 2026-11-01 06:00Z).
    "acme-main": Window(utc("2026-10-01T04:00:00Z"), utc("2026-11-01T03:59:59Z"),
                        ((EPOCH_START, timedelta(hours=-4)),)),
    # Europe/Paris: CEST (+02:00) until 2026-10-25 01:00Z, then CET (+01:00).
    "globex-main": Window(utc("2026-09-30T22:00:00Z"), utc("2026-10-31T22:59:59Z"),
                          ((EPOCH_START, timedelta(hours=2)), (utc("2026-10-25T01:00:00Z"), timedelta(hours=1)))),
    # No customer timezone: the organization's UTC.
    "initech-main": Window(utc("2026-10-01T00:00:00Z"), utc("2026-10-31T23:59:59Z"),
                           ((EPOCH_START, timedelta(0)),)),
    # America/Los_Angeles: PDT (-07:00); the subscription starts 2026-10-15 00:00 local.
    "hooli-main": Window(utc("2026-10-15T07:00:00Z"), utc("2026-11-01T06:59:59Z"),
                         ((EPOCH_START, timedelta(hours=-7)),)),
}
# Share of the generated events per subscription.
SUBSCRIPTION_WEIGHTS = {"acme-main": 40, "globex-main": 25, "initech-main": 25, "hooli-main": 10}


# ---------------------------------------------------------------------------------------------------
# Events and how they are written


@dataclass(frozen=True)
class Event:
    transaction_id: str
    subscription: str
    instant: datetime  # UTC, microsecond precision
    tokens: str  # canonical decimal text: "2000000", "1500.5"
    model: str
    kind: str


def unix_text(instant: datetime) -> str:
    """Unix seconds, with the sub-second part as a trimmed decimal fraction when there is one."""
    since_epoch = instant - datetime(1970, 1, 1, tzinfo=UTC)
    seconds = since_epoch.days * 86400 + since_epoch.seconds
    micros = since_epoch.microseconds
    if micros == 0:
        return str(seconds)
    return f"{seconds}.{micros:06d}".rstrip("0")


def rfc3339(instant: datetime, offset: timedelta | None = None) -> str:
    """RFC 3339 text: `Z` when no offset is given, otherwise the local time with that offset."""
    local = instant if offset is None else (instant + offset).replace(tzinfo=None)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if local.microsecond:
        text += f".{local.microsecond:06d}".rstrip("0")
    if offset is None:
        return text + "Z"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def json_number(text: str) -> int | float:
    """A JSON number whose text is exactly `text` (checked, so no float rounding slips in)."""
    value: int | float = int(text) if text.lstrip("-").isdigit() else float(text)
    assert json.dumps(value) == text, text
    return value


def ndjson_line(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False)


def event_object(event: Event, timestamp: object, tokens: object) -> dict:
    properties = {"tokens": tokens, "model": event.model, "type": event.kind}
    return {
        "transaction_id": event.transaction_id,
        "external_subscription_id": event.subscription,
        "code": METRIC,
        "timestamp": timestamp,
        "properties": properties,
    }


def csv_record(fields: list[str], line_ending: str) -> str:
    """One RFC 4180 record; a field is quoted only when it has to be."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=line_ending, quoting=csv.QUOTE_MINIMAL).writerow(fields)
    return buffer.getvalue()


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.keys: set[tuple[str, str]] = set()  # (subscription, transaction id) pairs handed out

    def transaction_id(self, subscription: str) -> str:
        """A fresh UUID-shaped id, never handed out before on any subscription."""
        while True:
            candidate = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            if all(candidate != taken for _, taken in self.keys):
                return self.claim(subscription, candidate)

    def claim(self, subscription: str, transaction_id: str) -> str:
        key = (subscription, transaction_id)
        assert key not in self.keys, key
        self.keys.add(key)
        return transaction_id

    def tokens(self) -> str:
        roll = self.rng.random()
        if roll < 0.04:
            whole = self.rng.randint(1, 90000)
            return f"{whole}.{self.rng.choice(['5', '25', '75', '1', '125', '05'])}"
        if roll < 0.10:
            return str(self.rng.randint(1, 999))
        if roll < 0.15:
            return str(self.rng.randint(1_000_000, 4_000_000))
        return str(int(10 ** self.rng.uniform(3, 5.7)))

    def instant(self, window: Window, fractional: bool) -> datetime:
        span = int((window.last - window.first).total_seconds())
        instant = window.first + timedelta(seconds=self.rng.randint(0, span))
        if fractional:
            instant += timedelta(microseconds=self.rng.choice([250000, 500000, 750000, 125000, 123456, 1]))
        return instant

    def event(self, subscription: str | None = None, fractional: bool = False) -> Event:
        if subscription is None:
            subscription = self.rng.choices(list(SUBSCRIPTION_WEIGHTS), weights=list(SUBSCRIPTION_WEIGHTS.values()))[0]
        return Event(
            transaction_id=self.transaction_id(subscription),
            subscription=subscription,
            instant=self.instant(WINDOWS[subscription], fractional),
            tokens=self.tokens(),
            model=self.rng.choice(MODELS),
            kind=self.rng.choice(TYPES),
        )

    def event_at(self, subscription: str, instant: datetime, tokens: str | None = None,
                 model: str | None = None, kind: str | None = None) -> Event:
        return Event(
            transaction_id=self.transaction_id(subscription),
            subscription=subscription,
            instant=instant,
            tokens=tokens if tokens is not None else self.tokens(),
            model=model or self.rng.choice(MODELS),
            kind=kind or self.rng.choice(TYPES),
        )


class Export:
    """One sample export: its records in file order, each with the outcome it was built to have."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.records: list[tuple[str, str | None]] = []  # (raw text, outcome); None = not an event

    def add(self, raw: str, outcome: str) -> None:
        assert outcome in (ACCEPTED, DUPLICATE, *REASONS), outcome
        self.records.append((raw, outcome))

    def not_an_event(self, raw: str) -> None:
        """Text that is read but is no event: a header row, a blank line."""
        self.records.append((raw, None))

    def text(self) -> str:
        return "".join(raw for raw, _ in self.records)

    def counts(self) -> dict:
        outcomes = [outcome for _, outcome in self.records if outcome is not None]
        by_reason = {reason: outcomes.count(reason) for reason in REASONS if outcomes.count(reason)}
        return {
            "read": len(outcomes),
            "accepted": outcomes.count(ACCEPTED),
            "duplicates": outcomes.count(DUPLICATE),
            "rejected": sum(by_reason.values()),
            "rejected_by_reason": by_reason,
        }


# ---------------------------------------------------------------------------------------------------
# october-2026.csv

CSV_HEADER = ["transaction_id", "external_subscription_id", "code", "timestamp", "tokens", "model", "type"]

SEED_EVENT = Event("tx-seed-0001", "acme-main", utc("2026-10-15T12:00:00Z"), "2000000", "mistral-small", "input")


def boundary_events(gen: Generator) -> list[tuple[Event, str]]:
    """Events on the edges of each subscription's October, with the timestamp text to write."""
    acme, globex, initech, hooli = (WINDOWS[s] for s in ("acme-main", "globex-main", "initech-main", "hooli-main"))
    edges = [
        ("acme-main", acme.first, "-04:00"),
        ("acme-main", acme.last, "Z"),
        ("acme-main", acme.last + timedelta(microseconds=999999), "-04:00"),
        ("globex-main", globex.first, "+02:00"),
        ("globex-main", globex.last, "+01:00"),
        # 02:30 local happens twice on 2026-10-25 in Paris; both are distinct October instants.
        ("globex-main", utc("2026-10-25T00:30:00Z"), "+02:00"),
        ("globex-main", utc("2026-10-25T01:30:00Z"), "+01:00"),
        ("initech-main", initech.first, "Z"),
        ("initech-main", initech.last, "+00:00"),
        ("hooli-main", hooli.first, "-07:00"),
        ("hooli-main", hooli.last, "Z"),
    ]
    written = []
    for subscription, instant, style in edges:
        event = gen.event_at(subscription, instant)
        offset = None if style == "Z" else WINDOWS[subscription].offset_at(instant)
        written.append((event, rfc3339(event.instant, offset)))
    return written


def build_october_csv(gen: Generator) -> tuple[Export, list[tuple[Event, str]]]:
    rows: list[tuple[Event, str]] = [(SEED_EVENT, rfc3339(SEED_EVENT.instant))]
    gen.claim(SEED_EVENT.subscription, SEED_EVENT.transaction_id)
    rows += boundary_events(gen)
    # Every subscription uses every model and type, whatever the random draw does.
    for subscription in WINDOWS:
        for model in MODELS:
            for kind in TYPES:
                window = WINDOWS[subscription]
                event = gen.event_at(subscription, gen.instant(window, False), model=model, kind=kind)
                rows.append((event, rfc3339(event.instant)))
    while len(rows) < CSV_EVENT_COUNT:
        event = gen.event(fractional=gen.rng.random() < 0.03)
        local = gen.rng.random() < 0.15
        offset = WINDOWS[event.subscription].offset_at(event.instant) if local else None
        rows.append((event, rfc3339(event.instant, offset)))
    rows.sort(key=lambda row: (row[0].instant, row[0].transaction_id))

    export = Export("october-2026.csv")
    export.not_an_event(csv_record(CSV_HEADER, "\n"))
    rendered = [csv_record([e.transaction_id, e.subscription, METRIC, ts, e.tokens, e.model, e.kind], "\n")
                for e, ts in rows]
    # Two exact repeats of earlier rows, placed well after the originals.
    repeats = {len(rendered) // 2: rendered[100], len(rendered) - 10: rendered[700]}
    for index, line in enumerate(rendered):
        export.add(line, ACCEPTED)
        if index in repeats:
            export.add(repeats[index], DUPLICATE)
    return export, rows


# ---------------------------------------------------------------------------------------------------
# october-2026.ndjson


def ndjson_timestamp(gen: Generator, instant: datetime) -> object:
    text = unix_text(instant)
    if gen.rng.random() < 0.06:
        return text  # a numeric string
    return json_number(text)


def ndjson_tokens(gen: Generator, tokens: str) -> object:
    return tokens if gen.rng.random() < 0.12 else json_number(tokens)


def maybe_wrapped(gen: Generator, payload: dict) -> dict:
    return {"event": payload} if gen.rng.random() < 0.2 else payload


def build_october_ndjson(gen: Generator, csv_rows: list[tuple[Event, str]]) -> tuple[Export, list[Event]]:
    events = [gen.event(fractional=gen.rng.random() < 0.12) for _ in range(NDJSON_EVENT_COUNT)]
    events.sort(key=lambda e: (e.instant, e.transaction_id))
    lines = [ndjson_line(maybe_wrapped(gen, event_object(e, ndjson_timestamp(gen, e.instant), ndjson_tokens(gen, e.tokens))))
             + "\n" for e in events]

    # Three events already in october-2026.csv, written differently but meaning the same thing.
    plain = next(e for e, ts in csv_rows[200:] if e.tokens.isdigit() and ts.endswith("Z") and not e.instant.microsecond)
    decimal = next(e for e, ts in csv_rows[300:] if "." in e.tokens)
    offset_fraction = next(e for e, ts in csv_rows if e.tokens.isdigit() and e.instant.microsecond
                           and not ts.endswith("Z"))
    cross_file = [
        # CSV tokens 100 -> "100"; RFC 3339 `Z` -> integer Unix seconds
        ndjson_line(event_object(plain, json_number(unix_text(plain.instant)), plain.tokens)),
        # CSV tokens 1500.5 -> "1500.50"; timestamp as a numeric string; wrapped
        ndjson_line({"event": event_object(decimal, unix_text(decimal.instant), decimal.tokens + "0")}),
        # CSV local time with an offset and a fraction -> decimal Unix seconds; tokens 100 -> 100.0
        ndjson_line(event_object(offset_fraction, json_number(unix_text(offset_fraction.instant)),
                                 json_number(offset_fraction.tokens + ".0"))),
    ]

    export = Export("october-2026.ndjson")
    inserts = {150: cross_file[0], 600: cross_file[1], 1100: cross_file[2]}
    for index, line in enumerate(lines):
        export.add(line, ACCEPTED)
        if index in inserts:
            export.add(inserts[index] + "\n", DUPLICATE)
        if index == 1300:
            export.add(lines[42], DUPLICATE)  # byte for byte a line read earlier in this file
    return export, events


# ---------------------------------------------------------------------------------------------------
# bad-events.ndjson: every reject reason, each line wrong in exactly one way


def build_bad_ndjson(gen: Generator, csv_rows: list[tuple[Event, str]], ndjson_events: list[Event]) -> Export:
    export = Export("bad-events.ndjson")

    def line(payload: object, outcome: str) -> None:
        export.add(ndjson_line(payload) + "\n", outcome)

    def valid(subscription: str | None = None) -> Event:
        return gen.event(subscription)

    def body(event: Event) -> dict:
        return event_object(event, json_number(unix_text(event.instant)), json_number(event.tokens))

    def without(payload: dict, key: str) -> dict:
        return {k: v for k, v in payload.items() if k != key}

    def with_properties(payload: dict, **changes: object) -> dict:
        properties = dict(payload["properties"])
        for key, value in changes.items():
            if value is None:
                properties.pop(key)
            else:
                properties[key] = value
        return {**payload, "properties": properties}

    first_valid = body(valid("acme-main"))
    line(first_valid, ACCEPTED)
    line({"event": body(valid("globex-main"))}, ACCEPTED)

    # malformed
    export.add("transaction_id=7f3c, tokens=1200, model=mistral-small\n", "malformed")
    export.add('{"transaction_id": "x"\n', "malformed")
    export.add(ndjson_line([body(valid("initech-main"))]) + "\n", "malformed")
    export.add('"tokens: 1200"\n', "malformed")
    export.not_an_event("\n")

    # missing_field
    line(without(body(valid("acme-main")), "transaction_id"), "missing_field")
    line({**body(valid("initech-main")), "code": ""}, "missing_field")
    line(without(body(valid("hooli-main")), "timestamp"), "missing_field")

    # invalid_timestamp
    line({**body(valid("acme-main")), "timestamp": "yesterday"}, "invalid_timestamp")
    line({**body(valid("acme-main")), "timestamp": "1999-12-31T23:59:59Z"}, "invalid_timestamp")
    line({**body(valid("initech-main")), "timestamp": 4200000000}, "invalid_timestamp")
    line({**body(valid("initech-main")), "timestamp": "2026-10-01T12:00:00"}, "invalid_timestamp")

    # unknown_metric, unknown_subscription
    line({**body(valid("acme-main")), "code": "gpu_seconds"}, "unknown_metric")
    nobody = valid("initech-main")
    line({**body(nobody), "external_subscription_id": "nobody-main"}, "unknown_subscription")

    # missing_aggregation_property, invalid_aggregation_property
    line(with_properties(body(valid("globex-main")), tokens=None), "missing_aggregation_property")
    line(with_properties(body(valid("acme-main")), tokens="12abc"), "invalid_aggregation_property")
    line(with_properties(body(valid("acme-main")), tokens=True), "invalid_aggregation_property")
    line(with_properties(body(valid("hooli-main")), tokens="1e5"), "invalid_aggregation_property")

    # invalid_filter_value (filter values are case-sensitive)
    line(with_properties(body(valid("acme-main")), model="Mistral-Small"), "invalid_filter_value")
    line({"event": with_properties(body(valid("globex-main")), type="cached")}, "invalid_filter_value")

    # outside_subscription: hooli-main starts 2026-10-15T07:00:00Z
    early = gen.event_at("hooli-main", utc("2026-10-10T12:00:00Z"))
    line({**body(early), "timestamp": "2026-10-10T12:00:00Z"}, "outside_subscription")
    line(body(gen.event_at("hooli-main", utc("2026-10-15T06:59:59Z"))), "outside_subscription")

    # valid, with JSON escapes and non-ASCII text in a property no filter looks at
    escaped = valid("initech-main")
    export.add(
        '{"transaction_id": "' + escaped.transaction_id + '", "external_subscription_id": "initech-main", '
        '"code": "ai_tokens", "timestamp": ' + unix_text(escaped.instant) + ', "properties": {"tokens": '
        + escaped.tokens + ', "model": "' + escaped.model + '", "type": "' + escaped.kind
        + '", "note": "caf\\u00e9 \\"quoted\\" \\\\ 日本"}}\n',
        ACCEPTED,
    )

    # valid: RFC 3339 timestamps (one with a local offset) and decimal-string tokens
    local = valid("hooli-main")
    line(event_object(local, rfc3339(local.instant, WINDOWS["hooli-main"].offset_at(local.instant)), local.tokens), ACCEPTED)
    utc_text = valid("globex-main")
    line(event_object(utc_text, rfc3339(utc_text.instant), "2500.75"), ACCEPTED)

    # valid: a transaction id october-2026.csv used, but on another subscription (ids are per subscription)
    borrowed_from = next(e for e, _ in csv_rows[400:] if e.subscription == "acme-main")
    borrowed = gen.event_at("initech-main", gen.instant(WINDOWS["initech-main"], False))
    borrowed = Event(gen.claim("initech-main", borrowed_from.transaction_id), "initech-main",
                     borrowed.instant, borrowed.tokens, borrowed.model, borrowed.kind)
    line(body(borrowed), ACCEPTED)

    # duplicate_conflict: same (subscription, transaction id) as an earlier event, different content
    twice = gen.event_at("acme-main", gen.instant(WINDOWS["acme-main"], False), tokens="5000")
    line(body(twice), ACCEPTED)
    line(body(Event(twice.transaction_id, twice.subscription, twice.instant, "5001", twice.model, twice.kind)),
         "duplicate_conflict")
    from_csv = next(e for e, _ in csv_rows[500:] if e.tokens.isdigit() and e.transaction_id != "tx-seed-0001")
    line(body(Event(from_csv.transaction_id, from_csv.subscription, from_csv.instant,
                    str(int(from_csv.tokens) * 2), from_csv.model, from_csv.kind)), "duplicate_conflict")
    line(body(Event(SEED_EVENT.transaction_id, SEED_EVENT.subscription, SEED_EVENT.instant,
                    "2000001", SEED_EVENT.model, SEED_EVENT.kind)), "duplicate_conflict")
    from_ndjson = ndjson_events[900]
    moved = from_ndjson.instant - timedelta(seconds=60)  # same tokens, another instant
    assert WINDOWS[from_ndjson.subscription].first <= moved
    line(event_object(from_ndjson, json_number(unix_text(moved)), json_number(from_ndjson.tokens)), "duplicate_conflict")

    # an exact repeat of an earlier line of this file
    export.add(ndjson_line(first_valid) + "\n", DUPLICATE)

    for _ in range(6):
        line(body(valid()), ACCEPTED)
    return export


# ---------------------------------------------------------------------------------------------------
# bad-events.csv: CSV-specific problems, CRLF line endings and a UTF-8 byte order mark

BAD_CSV_HEADER = CSV_HEADER + ["note"]


def build_bad_csv(gen: Generator, csv_rows: list[tuple[Event, str]]) -> Export:
    export = Export("bad-events.csv")
    crlf = "\r\n"

    def fields(event: Event, timestamp: str | None = None, note: str = "") -> list[str]:
        return [event.transaction_id, event.subscription, METRIC, timestamp or rfc3339(event.instant),
                event.tokens, event.model, event.kind, note]

    def row(values: list[str], outcome: str) -> None:
        export.add(csv_record(values, crlf), outcome)

    export.not_an_event("\ufeff" + csv_record(BAD_CSV_HEADER, crlf))

    row(fields(gen.event("acme-main")), ACCEPTED)
    row(fields(gen.event("globex-main"), note="imported from the EU console"), ACCEPTED)

    # malformed: wrong number of fields
    row(fields(gen.event("initech-main"))[:7], "malformed")
    row(fields(gen.event("acme-main"), note="retry") + ["second try"], "malformed")

    # missing_field: an empty transaction_id cell
    row([""] + fields(gen.event("hooli-main"))[1:], "missing_field")

    # invalid_timestamp
    row(fields(gen.event("acme-main"), timestamp="31/10/2026 10:00"), "invalid_timestamp")

    # valid: quoted fields with an embedded comma, an embedded line break, doubled quotes
    row(fields(gen.event("acme-main"), note="batch 12, region us-east"), ACCEPTED)
    row(fields(gen.event("initech-main"), note="first line" + crlf + "second line"), ACCEPTED)
    row(fields(gen.event("globex-main"), note='the client said "ship it"'), ACCEPTED)  # written ""ship it""
    quoted_everywhere = gen.event("hooli-main")
    export.add(",".join(f'"{value}"' for value in fields(quoted_everywhere, note="all fields quoted")) + crlf, ACCEPTED)
    unix = gen.event("initech-main")
    row(fields(unix, timestamp=unix_text(unix.instant)), ACCEPTED)

    # the same reasons as in NDJSON, from CSV
    row(["gpu_seconds" if i == 2 else v for i, v in enumerate(fields(gen.event("acme-main")))], "unknown_metric")
    row(["" if i == 4 else v for i, v in enumerate(fields(gen.event("globex-main")))], "missing_aggregation_property")
    row(["12abc" if i == 4 else v for i, v in enumerate(fields(gen.event("acme-main")))], "invalid_aggregation_property")
    row(["nobody-main" if i == 1 else v for i, v in enumerate(fields(gen.event("initech-main")))], "unknown_subscription")
    row(["mistral-xl" if i == 5 else v for i, v in enumerate(fields(gen.event("hooli-main")))], "invalid_filter_value")

    # an exact duplicate of an october-2026.csv row (empty note: no extra property)
    original, timestamp = csv_rows[1000]
    row(fields(original, timestamp=timestamp), DUPLICATE)

    row(fields(gen.event("globex-main")), ACCEPTED)
    return export


# ---------------------------------------------------------------------------------------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def pretty(document: object) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


README = """\
# Mistral sample data

Generated by `python3 scripts/make_samples.py` (deterministic: fixed seed, standard library only).
Edit the script, not these files, and run it again to regenerate all of them.

| file | contents |
|---|---|
| `../../pipelines/mistral/catalog.json` | Full catalog: `ai_tokens` metric; plans `mistral` (USD) and `mistral-eur` (EUR), one package charge with six filters (small, medium, large × input, output); customers acme (America/New_York), globex (EUR, Europe/Paris), initech (no timezone: UTC), hooli (America/Los_Angeles, starts 2026-10-15 local); their subscriptions; wallets (initech has two, by priority). |
| `../../pipelines/mistral/catalog-seed.json` | Lago's Mistral template as published, placeholders filled: four priced filters, no default price, so mistral-medium usage comes out unpriced; acme only. |
| `october-2026.csv` | {csv_read} events, all valid, inside each customer's October 2026 (local time), incl. the template's `tx-seed-0001` and edge instants; RFC 3339 timestamps (`Z`, local offsets, fractions); 2 exact repeats. |
| `october-2026.ndjson` | {ndjson_read} events, bare or wrapped in `{{"event": ...}}`; Unix-second timestamps (integer, decimal, numeric string); tokens as numbers or strings; 3 lines that repeat CSV rows in another form and 1 exact repeat. |
| `bad-events.ndjson` | Every reject reason at least once, each line wrong in exactly one way; valid lines (one with JSON escapes and non-ASCII text in `note`); same-file and cross-file conflicts; one exact repeat; one blank line. |
| `bad-events.csv` | UTF-8 BOM, CRLF line endings, a `note` column: rows with too few / too many fields, empty `transaction_id`, a bad timestamp; valid quoted fields with an embedded comma, line break and doubled quotes; a repeat of an `october-2026.csv` row. |
| `expected.json` | What `tally ingest` must report for the four exports ingested in `order` into a fresh database after `tally catalog apply pipelines/mistral/catalog.json`, per file and in total (read = accepted + duplicates + rejected). |
"""


def main() -> None:
    gen = Generator(SEED)

    write(CATALOG_DIR / "catalog.json", pretty(full_catalog()))
    write(CATALOG_DIR / "catalog-seed.json", pretty(seed_catalog()))

    october_csv, csv_rows = build_october_csv(gen)
    october_ndjson, ndjson_events = build_october_ndjson(gen, csv_rows)
    bad_ndjson = build_bad_ndjson(gen, csv_rows, ndjson_events)
    bad_csv = build_bad_csv(gen, csv_rows)
    exports = [october_csv, october_ndjson, bad_ndjson, bad_csv]

    for export in exports:
        write(SAMPLES_DIR / export.name, export.text())

    files = {export.name: export.counts() for export in exports}
    total = {key: sum(counts[key] for counts in files.values()) for key in ("read", "accepted", "duplicates", "rejected")}
    total["rejected_by_reason"] = {
        reason: n for reason in REASONS if (n := sum(c["rejected_by_reason"].get(reason, 0) for c in files.values()))
    }
    for counts in [*files.values(), total]:
        assert counts["read"] == counts["accepted"] + counts["duplicates"] + counts["rejected"]
    expected = {"order": [export.name for export in exports], "files": files, "total": total}
    write(SAMPLES_DIR / "expected.json", pretty(expected))
    write(SAMPLES_DIR / "README.md", README.format(csv_read=files["october-2026.csv"]["read"],
                                                   ndjson_read=files["october-2026.ndjson"]["read"]))


if __name__ == "__main__":
    main()
