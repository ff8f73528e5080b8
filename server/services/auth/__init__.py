"""Who is signing in: device tokens, console sessions, accounts, lockouts."""
