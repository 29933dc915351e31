"""A sentence said to a person, kept as its gettext message id and named values.

The pure core and the routes cannot know the reader's language; they say
`N_("alert {key} is resolved", key=k)` and whoever answers the person (the API's
error handler) translates the message id and fills the values in. `str()` gives
the English sentence, so logs and English clients read it as before. Babel
extracts `N_` with its keyword arguments (see babel.cfg).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Text:
    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.render(lambda message: message)

    def render(self, translate: Callable[[str], str]) -> str:
        """The sentence with `translate` applied to it and to the values that are
        themselves `Text` (a reason inside a refusal)."""
        values = {
            k: v.render(translate) if isinstance(v, Text) else v for k, v in self.params.items()
        }
        return translate(self.msgid).format(**values)


def N_(message: str, /, **params: object) -> Text:  # noqa: N802 - the gettext marker name
    return Text(message, params)


def said(error: BaseException) -> Text | str:
    """What an error says, as `Text` when it was raised with one (to be translated)."""
    first = error.args[0] if error.args else None
    return first if isinstance(first, Text) else str(error)
