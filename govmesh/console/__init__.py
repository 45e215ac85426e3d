"""The web console: server-rendered pages for maintainers, approvers, auditors and SREs, a client of the gateway."""
