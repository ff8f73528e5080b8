"""Which advisor holds which household: assignments and handovers."""
