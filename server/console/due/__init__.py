"""Console pages for the due and overdue lists and their exports."""
