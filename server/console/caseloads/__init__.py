"""Console pages for caseloads and handovers."""
