"""Benchmarks: they print figures and are never timed tests; bench/data.py is their one data generator."""
