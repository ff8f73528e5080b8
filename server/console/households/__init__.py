"""Console pages for one household's file (一户一档), its print view and PDF."""
