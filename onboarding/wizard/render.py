"""Rendering a step's questions: what a question looks like unanswered is the same for every user, so it
is rendered once per catalog version, country, language and field, and kept (a first render of a step
is mostly these).

A question with anything of the user in it (a value, an error, "already provided") is rendered every
time and never kept: the cache holds no personal data.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any

from flask import Flask, current_app
from ..i18n import locale_code
from markupsafe import Markup

from .forms import Question

MACRO_TEMPLATE = "wizard/_question.html"


class Blanks:
    """The rendered markup of unanswered questions, by (catalog field, language); least recently used go."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[Any, ...], tuple[Any, Markup]] = OrderedDict()
        self._lock = Lock()

    def get(self, key: tuple[Any, ...]) -> Markup | None:
        """Return kept markup, or None."""
        with self._lock:
            found = self._kept.get(key)
            if found is None:
                return None
            self._kept.move_to_end(key)
            return found[1]

    def put(self, key: tuple[Any, ...], field: Any, markup: Markup) -> None:
        """Keep markup (and the field, so that its id names it while it is kept)."""
        with self._lock:
            self._kept[key] = (field, markup)
            if len(self._kept) > self.size:
                self._kept.popitem(last=False)


def blank(question: Question) -> bool:
    """Return whether a question shows nothing of its user: no value, no error, nothing provided."""
    return not (question.errors or question.provided) and all(not i.value and not i.errors for i in question.inputs)


def render_question(question: Question) -> Markup:
    """Render one question with the `question` macro (the theme's, if it has one); unanswered ones once."""
    macro = current_app.jinja_env.get_template(MACRO_TEMPLATE).module.question  # type: ignore[attr-defined]
    if question.shape is None or not blank(question):
        return Markup(macro(question))
    blanks: Blanks = current_app.extensions["wizard_blanks"]
    # The inputs' shape (catalog version, country, language, field) and the page's language (the macro's own texts).
    key = (*question.shape, question.name, locale_code())
    found = blanks.get(key)
    if found is None:
        found = Markup(macro(question))
        blanks.put(key, question.field, found)
    return found


def init_app(app: Flask) -> None:
    """Give templates `render_question` and the app its store of unanswered questions."""
    app.extensions["wizard_blanks"] = Blanks()
    app.add_template_global(render_question)
