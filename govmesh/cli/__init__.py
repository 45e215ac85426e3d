"""The govmesh command line, up's supervisor and the service subcommands."""
