"""`govmesh demo`: the seed's year replayed by a simulator playing every department through the gateway."""
