"""The contracts of every service, generated from protos/ into one tree any client imports."""
