"""Platform glue: CJK font registration, GPS through plyer, where the app keeps its data."""
