"""Compares invoice files with a samples expected.json; exits 1 on any difference.

Usage: check_invoice_totals.py OUT/invoices/PERIOD EXPECTED_JSON, where EXPECTED_JSON has "invoices"
(per customer external_id: fees_amount_cents, prepaid_credit_amount_cents, total_amount_cents), or
check_invoice_totals.py OUT/invoices EXPECTED_JSON, where EXPECTED_JSON has "periods" (per period
folder, the same per customer): every folder named is checked."""
import glob
import json
import os
import sys

KEYS = ["fees_amount_cents", "prepaid_credit_amount_cents", "total_amount_cents"]


def check(folder, expected):
    found = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        invoice = json.load(open(path))
        if invoice["status"] != "voided":
            found[invoice["customer"]["external_id"]] = invoice
    problems = []
    for customer, amounts in sorted(expected.items()):
        invoice = found.get(customer)
        if invoice is None:
            problems.append(f"{customer}: no invoice in {folder}")
            continue
        for key in KEYS:
            if invoice[key] != amounts[key]:
                problems.append(f"{customer} ({invoice['number']}): {key} is {invoice[key]}, expected {amounts[key]}")
    return problems


path, expected_path = sys.argv[1], sys.argv[2]
expected = json.load(open(expected_path))
if "periods" in expected:
    problems = [p for period, invoices in sorted(expected["periods"].items()) for p in check(os.path.join(path, period), invoices)]
    count = sum(len(invoices) for invoices in expected["periods"].values())
else:
    problems = check(path, expected["invoices"])
    count = len(expected["invoices"])
print("\n".join(problems) or f"invoice totals match {expected_path}: {count} invoices")
sys.exit(1 if problems else 0)
