"""Verification only (限价房): applicants checked against departments' records, verdicts without values."""
