"""GOV.UK Frontend components drawn once for each distinct set of parameters.

A govuk-frontend-jinja macro is a pure function of its parameters, and the same few (the header, the phase banner,
the service navigation of each role, a filter button, the first pages of a list) are drawn on every page. Drawing
one costs more than a database query: each imports its attribute macros and escapes every value on every call. So
templates call `component("govukPhaseBanner", {...})`, which draws the GOV.UK macro the first time and keeps the
HTML, keyed by the exact parameters, in a bounded least-recently-used store shared by the process.

Only pass parameters that are the whole input: a value that changes on every request (a CSRF token) goes in after,
as `replace(SIGN_OUT_SLOT, ...)` does in base.html.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict

from flask import Flask
from markupsafe import Markup

MAX_ENTRIES = 4096
# Where base.html puts the sign-out form (which carries a per-request CSRF token) into a cached navigation bar.
SIGN_OUT_SLOT = Markup("<!-- remedy:sign-out -->")


def _key_value(value):
    # Markup and plain text render differently (one is escaped), so the key tells them apart.
    if isinstance(value, Markup):
        return {"__html__": str(value)}
    if isinstance(value, dict):
        return {str(k): _key_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_key_value(v) for v in value]
    return value


class ComponentCache:
    """Draws GOV.UK macros by name and keeps the HTML for each distinct set of parameters."""

    def __init__(self, app: Flask, max_entries: int = MAX_ENTRIES):
        self.app = app
        self.max_entries = max_entries
        self.entries: OrderedDict[str, Markup] = OrderedDict()
        self.macros: dict[str, object] = {}
        self.lock = threading.Lock()

    def macro(self, name: str):
        """The govuk-frontend-jinja macro called `name` ("govukPhaseBanner" is in components/phase-banner)."""
        found = self.macros.get(name)
        if found is None:
            if not name.startswith("govuk"):
                raise ValueError(f"{name!r} is not a GOV.UK Frontend component macro")
            slug = re.sub(r"(?<!^)(?=[A-Z])", "-", name.removeprefix("govuk")).lower()
            template = self.app.jinja_env.get_template(f"govuk_frontend_jinja/components/{slug}/macro.html")
            found = self.macros[name] = getattr(template.module, name)
        return found

    def __call__(self, name: str, params: dict) -> Markup:
        key = name + "\0" + json.dumps(_key_value(params), sort_keys=True, default=str, separators=(",", ":"))
        with self.lock:
            html = self.entries.get(key)
            if html is not None:
                self.entries.move_to_end(key)
                return html
        html = Markup(self.macro(name)(params))
        with self.lock:
            self.entries[key] = html
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)
        return html


def register(app: Flask) -> None:
    """Make `component(name, params)` and the sign-out slot available to every template."""
    app.extensions["remedy_components"] = cache = ComponentCache(app)
    app.add_template_global(cache, "component")
    app.add_template_global(SIGN_OUT_SLOT, "SIGN_OUT_SLOT")
