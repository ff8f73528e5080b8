"""Console pages for admins: users, tablets, areas, policy, audit log."""
