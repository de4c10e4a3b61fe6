"""Compares a `tally ingest --json` summary with a samples expected.json; exits 1 on any difference."""
import json
import os
import sys

KEYS = ["read", "accepted", "duplicates", "rejected", "rejected_by_reason"]

summary = json.load(open(sys.argv[1]))
expected = json.load(open(sys.argv[2]))
problems = []
for entry in summary["files"]:
    name = os.path.basename(entry["file"])
    for key in KEYS:
        if entry.get(key) != expected["files"][name][key]:
            problems.append(f"{name}: {key} is {entry.get(key)}, expected {expected['files'][name][key]}")
for key in KEYS:
    if summary[key] != expected["total"][key]:
        problems.append(f"total: {key} is {summary[key]}, expected {expected['total'][key]}")
if summary["read"] != summary["accepted"] + summary["duplicates"] + summary["rejected"]:
    problems.append("total does not reconcile")
print("\n".join(problems) or f"ingest summary matches {sys.argv[2]}: {summary['read']} read, "
      f"{summary['accepted']} accepted, {summary['duplicates']} duplicates, {summary['rejected']} rejected")
sys.exit(1 if problems else 0)
