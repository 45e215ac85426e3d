"""The exchange service: publish, one-to-many delivery, point-to-point and scatter-gather requests, the ledger."""
