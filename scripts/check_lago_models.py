"""Parses Tally's outputs with the official lago-python-client models; exits 1 on any failure.

    python3 scripts/check_lago_models.py invoices out/invoices
"""
import glob
import json
import os
import sys

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


if __name__ == "__main__":
    kind, folder = sys.argv[1], sys.argv[2]
    ok = {"invoices": check_invoices}[kind](folder)
    sys.exit(0 if ok else 1)
