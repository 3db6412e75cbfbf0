"""URL rules whose address builders are compiled once a process, not once an app.

Werkzeug compiles two small Python functions for every URL rule as the rule is added (one to build its address,
one that also appends unknown values as a query string): it writes each as a syntax tree and hands it to
`compile()`. For Remedy's 248 rules that is nine tenths of `create_app`, about 130 ms, paid by every gunicorn
worker as it starts and by every test, which each make an app.

The compiled function depends only on the rule's parts (its fixed text and the names of its variables, Werkzeug's
`_trace`) and on whether it appends unknown values: the rule itself, with its converters, is passed in as the first
argument when an address is built. So two rules with the same parts can share one function, in one app or in the
next, and this class keeps each in a dictionary bounded by the number of distinct rules. A rule with defaults bakes
them into its function (converted by its own converters), so it is compiled afresh as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, ClassVar

from werkzeug.routing import Rule as WerkzeugRule


class Rule(WerkzeugRule):
    """A Werkzeug rule that reuses an address builder already compiled for the same parts (see the module)."""

    _builders: ClassVar[dict[tuple, Callable[..., tuple[str, str]]]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., Any]:
        if self.defaults:
            return super()._compile_builder(append_unknown)
        key = (tuple(self._trace), append_unknown)
        builder = self._builders.get(key)
        if builder is None:
            builder = super()._compile_builder(append_unknown)
            with self._lock:
                builder = self._builders.setdefault(key, builder)
        return builder
