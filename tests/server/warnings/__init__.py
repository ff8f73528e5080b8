"""Tests of server.services.warnings."""
