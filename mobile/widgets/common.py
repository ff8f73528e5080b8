"""The app's small widgets; their looks are in common.kv."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.popup import Popup
from kivy.uix.recycleview.views import RecycleDataViewBehavior
from kivy.uix.stacklayout import StackLayout
from kivy.uix.textinput import TextInput
from kivy.uix.togglebutton import ToggleButton

from mobile.i18n import label, language


def pick(mapping, key: str, default: str = "") -> str:
    """``mapping[key]`` or ``default``, for kv rules: a kv rule re-evaluates when an
    argument changes, but not when a method of a property is called (``d.get``)."""
    value = mapping.get(key)
    return default if value is None else value


class TButton(Button):
    """A button at least 48 dp high (touch target)."""


class TField(TextInput):
    """A one-line text field, 48 dp high; ``key`` names the form field it edits."""

    key = StringProperty("")


class TArea(TextInput):
    """A multi-line text field."""

    key = StringProperty("")


class FormBody(BoxLayout):
    """A form's fields. ``locked`` (a view of a stored record) ignores taps on them, so
    the values read as clearly as when editing (a disabled widget greys them out); the
    scroll view around it still scrolls."""

    locked = BooleanProperty(False)

    def on_touch_down(self, touch) -> bool:
        if self.locked and self.collide_point(*touch.pos):
            return True
        return super().on_touch_down(touch)


class Caption(Label):
    """A wrapping label that grows to its text."""


class ErrorText(Caption):
    """A validation message shown beside its field."""


class ChoiceButton(ToggleButton):
    """One code of a ChoiceGroup."""

    code = StringProperty("")


class ChoiceGroup(StackLayout):
    """Buttons for the codes of a ``sync.enums`` enumeration (labels from there).

    ``selected`` is the chosen codes (one for a single choice). Fires ``on_choose(code)``;
    the screen passes it to its view-model, which decides the new value.
    """

    enum = ObjectProperty(None)
    codes = ListProperty([])
    labels = ListProperty([])  # [(code, text)] instead of an enum (e.g. household members)
    selected = ListProperty([])
    multi = BooleanProperty(False)

    __events__ = ("on_choose",)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bind(enum=self._build, codes=self._build, labels=self._build, selected=self._mark)
        language.bind(lang=self._build)

    def _build(self, *_) -> None:
        self.clear_widgets()
        pairs = list(self.labels)
        if self.enum is not None:
            codes = self.codes or self.enum.codes()
            pairs = [(code, label(self.enum, code)) for code in codes]
        for code, text in pairs:
            button = ChoiceButton(code=code, text=text)
            button.bind(on_release=self._tapped)
            self.add_widget(button)
        self._mark()

    def _mark(self, *_) -> None:
        for button in self.children:
            button.state = "down" if button.code in self.selected else "normal"

    def _tapped(self, button: ChoiceButton) -> None:
        self.dispatch("on_choose", button.code)
        self._mark()

    def on_choose(self, code: str) -> None:
        """Default handler."""


class GroupHeader(RecycleDataViewBehavior, Label):
    """A community heading in the due list."""


class DueRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """One household in the due list; a tap opens its file, the button a visit form."""

    household_id = StringProperty("")
    head = StringProperty("")
    address = StringProperty("")
    community = StringProperty("")
    cycle = StringProperty("")
    # Not ``state``: ButtonBehavior's own ``state`` (normal/down) would overwrite it on a
    # tap and the row would be drawn in the "done" colour.
    due_state = StringProperty("")
    state_text = StringProperty("")
    reason = StringProperty("")

    def on_release(self) -> None:
        App.get_running_app().open_household(self.household_id)

    def start_visit(self) -> None:
        """The row's visit button: straight to the form."""
        App.get_running_app().open_visit(self.household_id)


class RecordRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """A record with its receipt; a tap opens it (editable only when returned or a draft)."""

    record_id = StringProperty("")
    entity = StringProperty("")
    title = StringProperty("")
    when = StringProperty("")
    receipt = StringProperty("")
    stage = StringProperty("")

    def on_release(self) -> None:
        App.get_running_app().open_record(self.entity, self.record_id)


class SyncBadge(ButtonBehavior, BoxLayout):
    """Pending count and last sync; red when the oldest unsent record waited over 24 h."""

    pending = StringProperty("")
    last = StringProperty("")
    red = BooleanProperty(False)
    # The last attempt's state: ok (green); failed (amber, beside the last success's time);
    # stale (red: the oldest unsent record waited over 24 h).
    level = StringProperty("ok")


class ConfirmPopup(Popup):
    """Asks before something is given up, naming it (``what``); ``on_confirm`` runs only
    after the confirm button. Each use has its own kv rule (its words and buttons)."""

    what = StringProperty("")

    def __init__(self, on_confirm, **kwargs) -> None:
        super().__init__(**kwargs)
        self._on_confirm = on_confirm

    def confirm(self) -> None:
        self.dismiss()
        self._on_confirm()
