"""Screens: ``<name>.py`` (a thin Screen) beside ``<name>.kv`` (its layout), loaded lazily."""

from __future__ import annotations

from kivy.app import App
from kivy.uix.screenmanager import Screen


class BaseScreen(Screen):
    """A screen holding its view-model ``vm``; ``prepare(**kwargs)`` runs before it shows."""

    def __init__(self, ctx, **kwargs) -> None:
        self.ctx = ctx
        self.vm = self.make_vm(ctx)
        super().__init__(**kwargs)

    def make_vm(self, ctx):
        """The screen's view-model."""
        raise NotImplementedError

    def prepare(self, **kwargs) -> None:
        """Load what the screen shows (default: nothing)."""

    @property
    def app(self):
        """The running app (navigation)."""
        return App.get_running_app()


class FormScreen(BaseScreen):
    """A record form (visit, interview): opened new, from a stored record, or from a draft."""

    def prepare(self, household_id: str = "", record=None, draft=None, **kwargs) -> None:
        if draft is not None:
            self.vm.restore(draft)
        elif record is not None:
            self.vm.open_existing(record)
        else:
            self.vm.open_new(household_id)
        self.ids.scroll.scroll_y = 1

    def leave(self) -> None:
        """Back without submitting: a change stays as a draft (offered again); the advisor
        returns to where the form was opened from."""
        self.vm.autosave()
        self.app.back()
