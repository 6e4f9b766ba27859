"""Benchmarks of the platform against the physical floor (see bench/README.md)."""
