"""Console pages for roster import: upload, dry-run report, import."""
