"""The sync protocol's server side: push, pull, retention and commit-ordered versions."""
