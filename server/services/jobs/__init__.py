"""The worker's periodic jobs: their schedule, the claims on them and running them."""
