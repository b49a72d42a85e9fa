"""Helpers that run the peer tools (samplics, weightipy, balance, R) for the benchmarks."""
