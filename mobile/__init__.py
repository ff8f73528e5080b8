"""Tanfang backend."""
