"""The authorization service: the three sharing types, grants, decisions, policy watch and audit."""
