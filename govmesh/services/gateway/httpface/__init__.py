"""The gateway's HTTP/JSON door: every public RPC over the Connect protocol (and gRPC-Web), behind the same gate."""
