"""Tanfang shared core and sync client: wire schemas, schedule, protocol, tablet store."""
