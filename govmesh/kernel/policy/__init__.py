"""The policy decision library: sharing types, grants, row scopes and a local policy snapshot that decides."""
