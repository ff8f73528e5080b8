"""Households and their people: records, identity, the file, the schedule, the due list."""
