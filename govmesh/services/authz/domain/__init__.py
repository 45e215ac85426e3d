"""The authorization domain: principals and roles, grants and their life, row scopes, and the decision function."""
