"""The pure linking engine of master records: record model, matching rules and the incremental linker."""
