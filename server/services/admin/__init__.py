"""What admins run: accounts, devices, areas, the schedule policy, the audit log."""
