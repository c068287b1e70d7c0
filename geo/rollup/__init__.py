"""The national roll-up: per-day counts per sub-district that a city computes (``compute``), publishes
and a national database subscribes to by logical replication (``replication``), and reads (``read``)."""
