"""Benchmarks of the waitlist engine at 10k, 100k and 1M entries (`make bench`)."""
