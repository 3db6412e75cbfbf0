"""GOV.UK Frontend components drawn once for each distinct set of parameters.

A govuk-frontend-jinja macro is a pure function of its parameters, and the same few (the header, the phase banner,
the service navigation of each role, a filter button, the first pages of a list) are drawn on every page. Drawing
one costs more than a database query: each imports its attribute macros and escapes every value on every call. So
templates call `component("govukPhaseBanner", {...})`, which draws the GOV.UK macro the first time and keeps the
HTML, keyed by the exact parameters, in a bounded least-recently-used store shared by the process.

Only pass parameters that are the whole input, as plain values whose repr shows all they hold (text, Markup,
numbers, dicts, lists): a value that changes on every request (a CSRF token) goes in after, as
`replace(SIGN_OUT_SLOT, ...)` does in base.html.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from flask import Flask, request, url_for
from markupsafe import Markup

MAX_ENTRIES = 4096
# Where base.html puts the sign-out form (which carries a per-request CSRF token) into a cached navigation bar.
SIGN_OUT_SLOT = Markup("<!-- remedy:sign-out -->")


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
        # repr, not JSON: it is C-fast, and it tells Markup('<b>') (drawn as HTML) from '<b>' (escaped), which JSON
        # would merge. Parameters are the plain values templates build (text, Markup, numbers, dicts, lists).
        key = name + repr(params)
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


class AddressCache:
    """url_for for templates, remembering each address it has built: a page links to the same few dozen addresses
    on every view, and building one costs more than drawing a table row. Addresses depend only on the endpoint, its
    values and where the app is mounted; relative endpoints and external addresses are always built afresh."""

    def __init__(self, max_entries: int = MAX_ENTRIES * 4):
        self.max_entries = max_entries
        self.entries: dict[tuple, str] = {}

    def __call__(self, endpoint: str, **values) -> str:
        if endpoint.startswith(".") or "_external" in values or "_scheme" in values:
            return url_for(endpoint, **values)
        try:
            key = (endpoint, request.script_root, *sorted(values.items()))
            hash(key)
        except TypeError:  # a list of values for one argument: build it every time
            return url_for(endpoint, **values)
        address = self.entries.get(key)
        if address is None:
            if len(self.entries) >= self.max_entries:
                self.entries.clear()  # rare, and cheaper than tracking use: the pages refill it at once
            address = self.entries[key] = url_for(endpoint, **values)
        return address


def register(app: Flask) -> None:
    """Make `component(name, params)`, the sign-out slot and a remembering `url_for` available to templates."""
    app.extensions["remedy_components"] = cache = ComponentCache(app)
    app.add_template_global(cache, "component")
    app.add_template_global(SIGN_OUT_SLOT, "SIGN_OUT_SLOT")
    app.add_template_global(AddressCache(), "url_for")
