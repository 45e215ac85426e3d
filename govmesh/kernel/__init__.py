"""What several services truly share: data standards, the catalog's model, sharing types, the policy library."""
