"""Benchmarks with their baselines; ``make bench`` runs them (see bench/README.md)."""
