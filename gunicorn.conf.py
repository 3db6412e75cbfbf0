"""gunicorn's settings for Remedy: gunicorn reads this file from the directory it starts in (its default `--config`),
so `gunicorn 'app:create_app()'` run from the project picks it up; flags on the command line still win."""


def post_worker_init(_worker) -> None:
    """Freeze what the worker made while loading the app (models.runtime.freeze_start_up): Python's cycle
    collector walked all of it at every full pass, a pause of 200-300 ms in each worker every half-minute under the
    mixed load (bench/load.py; issue 17). Frozen, a full pass walks only what the requests made: 30-90 ms, and the
    collector's time per request falls by about a third."""
    from models.runtime import freeze_start_up  # the worker has loaded the app already

    freeze_start_up()
