"""The warnings application's plain rules and models: no gRPC, no database."""
