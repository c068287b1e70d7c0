"""The demo: the real Shanghai sample shipped in data/sample, plus the simulated parts it lacks."""
