"""Compares the invoice files of one period with a samples expected.json's "invoices" (per customer
external_id: fees_amount_cents, prepaid_credit_amount_cents, total_amount_cents); exits 1 on any
difference. Usage: check_invoice_totals.py OUT/invoices/PERIOD EXPECTED_JSON"""
import glob
import json
import os
import sys

KEYS = ["fees_amount_cents", "prepaid_credit_amount_cents", "total_amount_cents"]

folder, expected_path = sys.argv[1], sys.argv[2]
expected = json.load(open(expected_path))["invoices"]
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
print("\n".join(problems) or f"invoice totals match {expected_path}: {len(expected)} customers")
sys.exit(1 if problems else 0)
