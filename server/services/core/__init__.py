"""The shared ground of every service: errors, transactions, audit, scope, paging."""
