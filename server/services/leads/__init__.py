"""Leads (走访发现): pushed from the field, queued by street, decided by supervisors."""
