"""The exchange's plain model: records, entitlements, subscriptions, deliveries, requests, the ledger."""
