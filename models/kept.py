"""Reference data each worker keeps for a short while (issue 17): the lists' filter choices (providers, contracts,
return periods) that every list page showed and read again on every view.

They change when an administrator's command loads providers and contracts, or when a return period opens (at most
daily), not while people page through lists, so a worker reads them again at most every KEPT_SECONDS: a new
contract or period is in the filters within a minute. They are kept on the app, so a new app (a test's) starts
afresh, and what is kept is immutable (tuples), so no request can change another's."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

KEPT_SECONDS = 60.0
T = TypeVar("T")


def kept(key: Hashable, read: Callable[[], T]) -> T:
    """What read() returned for this key, if it was read within KEPT_SECONDS by this worker; else read now."""
    return kept_in(current_app.extensions.setdefault("remedy_kept", {}), key, read, KEPT_SECONDS)


def kept_in(store: dict, key: Hashable, read: Callable[[], T], seconds: float, most: int = 10_000) -> T:
    """What read() returned for this key, kept in `store` with when it was read: read again when it is older than
    `seconds`. The one way a worker keeps something for a while (these choices; the "about" counts in
    models/count_store.py, kept in their own store for their own time; a council's settings, and providers'
    pictures, under their versions). A store that reaches `most` keys starts again.

    Ages are read from the wall clock, as the app's own `now` is: what was drawn as at one instant is not kept past
    `seconds` after it by the app's reckoning (a test that travels in time finds it gone), and a clock set back
    makes it older than new, not kept longer."""
    now = time.time()
    seen = store.get(key)
    if seen is None or not 0 <= now - seen[0] <= seconds:
        if len(store) >= most:  # many councils, people and filters: start again rather than grow without end
            store.clear()
        seen = store[key] = (now, read())
    return seen[1]  # type: ignore[no-any-return]


def held(store: dict, key: Hashable, seconds: float) -> object | None:
    """What `store` keeps for `key` if it was read within `seconds`, else None (nothing is read)."""
    seen = store.get(key)
    return seen[1] if seen is not None and 0 <= time.time() - seen[0] <= seconds else None
