"""Writes a synthetic benchmark export: a catalog with M subscriptions on the Mistral plan and N
valid October 2026 events as CSV and NDJSON (same events, random UUID-style transaction ids).

    python3 scripts/make_bench_export.py --events 1000000 --subscriptions 1000 --out /tmp/bench
"""
import argparse
import json
import os
import random
import uuid

MODELS = ["mistral-small", "mistral-medium", "mistral-large"]
TYPES = ["input", "output"]
OCTOBER_START = 1790812800  # 2026-10-01T00:00:00Z
OCTOBER_SECONDS = 31 * 86400


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--formats", default="csv,ndjson", help="comma-separated: csv, ndjson")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    random.seed(7)

    catalog = json.load(open(os.path.join(os.path.dirname(__file__), "..", "pipelines", "mistral", "catalog.json")))
    catalog["plans"] = [plan for plan in catalog["plans"] if plan["code"] == "mistral"]
    catalog["customers"] = [{"external_id": f"cust-{i}", "name": f"Customer {i}", "currency": "USD"}
                            for i in range(args.subscriptions)]
    catalog["subscriptions"] = [{"external_customer_id": f"cust-{i}", "plan_code": "mistral",
                                 "external_id": f"sub-{i}", "subscription_at": "2026-01-01T00:00:00Z"}
                                for i in range(args.subscriptions)]
    catalog["wallets"] = []
    json.dump(catalog, open(os.path.join(args.out, "catalog.json"), "w"), indent=2)

    rng = random.Random(11)
    formats = set(args.formats.split(","))
    with open(os.path.join(args.out, "events.csv") if "csv" in formats else os.devnull, "w") as csv, \
            open(os.path.join(args.out, "events.ndjson") if "ndjson" in formats else os.devnull, "w") as ndjson:
        csv.write("transaction_id,external_subscription_id,code,timestamp,tokens,model,type\n")
        for _ in range(args.events):
            tx = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            sub = f"sub-{rng.randrange(args.subscriptions)}"
            ts = OCTOBER_START + rng.randrange(OCTOBER_SECONDS)
            tokens = rng.randrange(1, 5_000_000)
            model = rng.choice(MODELS)
            kind = rng.choice(TYPES)
            csv.write(f"{tx},{sub},ai_tokens,{ts},{tokens},{model},{kind}\n")
            if "ndjson" in formats:
                ndjson.write(json.dumps({"transaction_id": tx, "external_subscription_id": sub, "code": "ai_tokens",
                                         "timestamp": ts, "properties": {"tokens": tokens, "model": model, "type": kind}})
                             + "\n")


if __name__ == "__main__":
    main()
