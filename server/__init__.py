"""Tanfang backend: Flask app, models, services, API and CLI."""

from server.app import create_app

__all__ = ["create_app"]
