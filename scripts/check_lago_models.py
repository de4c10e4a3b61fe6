"""Parses Tally's outputs with the official lago-python-client models; exits 1 on any failure.

    python3 scripts/check_lago_models.py invoices out/invoices
    python3 scripts/check_lago_models.py usage usage.json
"""
import glob
import json
import os
import sys

from lago_python_client.models.customer_usage import CustomerUsageResponse
from lago_python_client.models.invoice import InvoiceResponse


def check_invoices(folder):
    paths = sorted(glob.glob(os.path.join(folder, "*", "*.json")))
    if not paths:
        print(f"no invoice JSON files under {folder}")
        return False
    for path in paths:
        document = json.load(open(path))
        invoice = InvoiceResponse.parse_obj(document)
        fees = sum(fee.amount_cents for fee in invoice.fees.__root__)
        if fees != invoice.fees_amount_cents:
            print(f"{path}: fees add up to {fees}, invoice says {invoice.fees_amount_cents}")
            return False
        if invoice.total_amount_cents != invoice.sub_total_including_taxes_amount_cents - invoice.prepaid_credit_amount_cents:
            print(f"{path}: total_amount_cents does not equal sub-total minus prepaid credits")
            return False
    print(f"{len(paths)} invoice file(s) parse with lago-python-client's InvoiceResponse and add up")
    return True


def check_usage(path):
    usage = CustomerUsageResponse.parse_obj(json.load(open(path)))
    charges = sum(charge.amount_cents for charge in usage.charges_usage)
    if charges != usage.amount_cents:
        print(f"{path}: charges add up to {charges}, amount_cents says {usage.amount_cents}")
        return False
    for charge in usage.charges_usage:
        if sum(f.amount_cents for f in charge.filters) > charge.amount_cents:
            print(f"{path}: a charge's filters add up to more than the charge")
            return False
    print(f"{path} parses with lago-python-client's CustomerUsageResponse and adds up ({len(usage.charges_usage)} charge(s))")
    return True


if __name__ == "__main__":
    kind, target = sys.argv[1], sys.argv[2]
    ok = {"invoices": check_invoices, "usage": check_usage}[kind](target)
    sys.exit(0 if ok else 1)
