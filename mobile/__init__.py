"""Tanfang tablet app (Kivy): screens, view-models and widgets over the sync core."""
