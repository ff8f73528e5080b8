"""Benchmarks: each module is a script that prints a table and writes JSON to bench/results/."""
