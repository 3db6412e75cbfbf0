"""gunicorn.conf.py: read by gunicorn from the directory it starts in, it freezes what a worker made while loading
the app, so that Python's cycle collector stops walking it at every full pass (issue 17)."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_gunicorn_reads_the_file_from_where_it_starts_by_default():
    from gunicorn.config import Config

    assert Config().settings["config"].default == "./gunicorn.conf.py"
    assert (ROOT / "gunicorn.conf.py").is_file()


def test_a_worker_freezes_what_it_made_while_loading_the_app():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert gc.get_freeze_count() == 0
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() > 10_000  # the modules, the ORM, Flask: all loaded by this test process
    finally:
        gc.unfreeze()
