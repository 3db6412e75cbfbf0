"""One line per figure that `make bench` (bench/all.py) gathers from every benchmark into one table."""

from __future__ import annotations


def figure(bench: str, measure: str, value: str, target: str, met: bool | None) -> None:
    """Print a figure beside its target; `met` None is a figure with no target of its own (a floor, a peer)."""
    verdict = "" if met is None else ("met" if met else "MISSED")
    print(f"FIGURE\t{bench}\t{measure}\t{value}\t{target}\t{verdict}", flush=True)
