"""The rulebooks' numbers, transcribed from the seed texts in shared/seeds (issue 14, item 2).

tests/unit/test_seed_numbers.py compares every rulebook with this table number by number, and checks that every line
cited here really holds the words and figures transcribed from it, so neither the rulebooks nor this table can drift
from the seeds. Each figure carries a `Cite`: the seed line and the words on it (whitespace collapsed, compared
without case). Seeds: 000 Cheshire East (Schedule 2, Extra Care Housing), 001 Kent (learning disability day
services), 002 Cornwall (Leaving Care), 003 Thurrock (supported living), 004 Hammersmith & Fulham (home care).

Where the rulebook follows a catalogue ruling (an A-number in shared/domain/rules.md, or a rules.md section) instead
of the seed's words, the row keeps the seed's figure and names the ruling and the values it gives (`ruling`,
`ruled`); the rulebook entry must then cite that A-number. A denominator is the seed's own wording, which the
rulebook's `denominator` must contain; None where the seed states no denominator.

Catalogue errata (shared/reviews/rules-coverage.md section 5, "Errata in shared/domain/rules.md"), corrected here
and not in ../shared:
* CW-K06 (Cornwall KPI 1.6): the catalogue says "Clock: 6 months (CW-15)"; the 6-month pathway review rule is CW-16
  (CW-15 is monthly allocation). The row requires the rulebook to cite CW-16.
* HF-B05 (H&F BCM 4) is satisfaction with the *number* of workers; the catalogue links it to HF-30 (a key worker
  within 2 weeks) and the rulebook had copied that link. The row forbids citing HF-30.
Also noted there: Kent S4c, I1, E4, A1 and A2 count over *all* individuals accessing or leaving the service ("total
no. of ..."), not respondents; the rows carry the seed's wording and the rulebook must contain it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SEED_FILES = {
    "000": "000_f1fb7bf20800c8cb.txt",
    "001": "001_ab22b7ba3bb2e0d2.txt",
    "002": "002_2ceaf64c2a9da3a0.txt",
    "003": "003_58d31d4efe8f5e95.txt",
    "004": "004_1e47ff5740db898c.txt",
}
BOOK_SEEDS = {"cheshire-east-ech": "000", "kent-ld-day-services": "001", "cornwall-leaving-care": "002",
              "thurrock-supported-living": "003", "hammersmith-fulham-home-care": "004"}


@dataclass(frozen=True)
class Cite:
    """A seed line and the words on it that give a figure."""

    line: int
    text: str


@dataclass(frozen=True)
class SeedKpi:
    """One KPI as its seed gives it."""

    book: str
    kpi: str
    target: float | None = None
    target_at: Cite | None = None
    disputed_target: float | None = None  # A2: a second, stricter figure the seed also gives
    disputed_at: Cite | None = None
    bands: tuple[str, str, str] | None = None  # red, amber, green as written
    bands_at: tuple[Cite, ...] = ()
    monitor_only: bool = False
    monitor_at: Cite | None = None
    rating: bool = False  # a rating event (CQC, local quality rating): no figure
    direction: str | None = "higher"
    direction_at: Cite | None = None
    frequency: str | None = None
    frequency_at: Cite | None = None
    denominator: str | None = None
    denominator_at: Cite | None = None
    ruling: str = ""  # the catalogue ruling the rulebook follows instead of the seed's words
    ruled: dict = field(default_factory=dict)  # field -> the value that ruling gives
    rules: tuple[str, ...] = ()  # rule ids the rulebook entry must cite
    not_rules: tuple[str, ...] = ()  # rule ids it must not cite (catalogue errata)

    @property
    def seed(self) -> str:
        return BOOK_SEEDS[self.book]

    @property
    def line(self) -> int | None:
        """The line of the KPI's target (or red band, or monitor-only note)."""
        first = self.target_at or (self.bands_at[0] if self.bands_at else None) or self.monitor_at
        return first.line if first else None


@dataclass(frozen=True)
class SeedClock:
    """One clock as its seed gives it: length None where the seed leaves it to the council."""

    book: str
    kind: str
    length: int | None
    unit: str
    at: Cite


def _kent(kpi: str, band_line: int, bands: tuple[str, str, str] | None = None, monitor_only: bool = False,
          frequency: tuple[str, int, str] = ("", 0, ""), denominator: tuple[str, int] = ("", 0), **extra) -> SeedKpi:
    """Kent's table rows: three band cells on consecutive lines (or "n/a" for INFO rows), a tick (the U+F0FC glyph
    in the transport table) in the Quarterly, Six Monthly or Annually column, and "y = total no. of ..."."""
    cells = bands or ("n/a", "n/a", "n/a")
    kwargs = dict(bands=bands, bands_at=tuple(Cite(band_line + i, cells[i]) for i in range(3)) if bands else (),
                  monitor_only=monitor_only, monitor_at=Cite(band_line, "n/a") if monitor_only else None,
                  direction=None if monitor_only else ("lower" if bands and bands[0].startswith(">") else "higher"),
                  frequency=frequency[0], frequency_at=Cite(frequency[1], frequency[2]),
                  denominator=denominator[0], denominator_at=Cite(denominator[1], denominator[0]))
    kwargs.update(extra)
    return SeedKpi("kent-ld-day-services", kpi, **kwargs)


# --- Kent (seed 001), section 3.0: every KPI and INFO row ---------------------------------------------------------
KENT = [
    _kent("S1", 92, bands=('>25%', '10-25%', '<10%'),
          frequency=("six-monthly", 96, '√'),
          denominator=('new referrals made to the Provider', 89)),
    _kent("S2", 108, bands=('<85%', '85-95%', '>95%'),
          frequency=("six-monthly", 112, '√'),
          denominator=('invoices submitted to KCC for payment', 105)),
    _kent("S3", 124, bands=('<85%', '85-95%', '>95%'),
          frequency=("six-monthly", 128, '√'),
          denominator=('complaints received (formal and informal combined)', 121)),
    _kent("S4a", 140, bands=('<75%', '75-95%', '>95%'),
          frequency=("annual", 145, '√'),
          denominator=('individuals accessing the service', 137)),
    _kent("S4b", 157, bands=('<65%', '65-85%', '>85%'),
          frequency=("annual", 162, '√'),
          denominator=('individuals accessing the service', 154)),
    _kent("S4c", 174, bands=('<85%', '85-99%', '100%'),
          frequency=("annual", 179, '√'),
          denominator=('individuals accessing the service', 171)),
    _kent("S5", 191, bands=('<85%', '85-99%', '100%'), frequency=("annual", 196, '√'), denominator=('paid staff', 188)),
    _kent("S6", 207, bands=('<85%', '85-99%', '100%'), frequency=("annual", 212, '√'), denominator=('managers', 204)),
    _kent("INFO W1", 252, monitor_only=True,
          frequency=("six-monthly", 256, '√'),
          denominator=('individuals accessing the promoting wellbeing service', 249)),
    _kent("INFO W2", 268, monitor_only=True,
          frequency=("six-monthly", 272, '√'),
          denominator=('individuals accessing the promoting wellbeing service', 265)),
    _kent("INFO W3", 284, monitor_only=True,
          frequency=("six-monthly", 288, '√'),
          denominator=('individuals accessing the promoting wellbeing service', 281)),
    _kent("W1", 300, bands=('<85%', '85-95%', '>95%'),
          frequency=("annual", 305, '√'),
          denominator=('individuals accessing the service', 297)),
    _kent("W2", 316, bands=('<65%', '65-95%', '>95%'),
          frequency=("six-monthly", 320, '√'),
          denominator=('individuals accessing the service', 313)),
    _kent("INFO I1", 361, monitor_only=True,
          frequency=("six-monthly", 365, '√'),
          denominator=('individuals accessing the promoting independence service', 358)),
    _kent("INFO I2", 377, monitor_only=True,
          frequency=("six-monthly", 381, '√'),
          denominator=('individuals accessing the promoting independence service', 374)),
    _kent("INFO I3", 393, monitor_only=True,
          frequency=("six-monthly", 397, '√'),
          denominator=('individuals accessing the promoting independence service', 390)),
    _kent("I1", 409, bands=('<75%', '75-95%', '>95%'),
          frequency=("six-monthly", 413, '√'),
          denominator=('individuals accessing the promoting independence service', 406)),
    _kent("I2", 426, bands=('<85%', '85-95%', '>95%'),
          frequency=("six-monthly", 430, '√'),
          denominator=('individuals accessing the service', 423)),
    _kent("I3", 442, bands=('<75%', '75-95%', '>95%'),
          frequency=("six-monthly", 446, '√'),
          denominator=('individuals leaving the promoting independence service', 439)),
    # A18: written with higher-is-better bands, almost certainly a specification error (the same measure is E2, lower is
    # better); the rulebook reads it lower-is-better with E2's bands.
    _kent("I4", 458, bands=('<75%', '75-95%', '>95%'), frequency=("six-monthly", 462, '√'),
          denominator=('individuals leaving the promoting independence service', 455), ruling="A18",
          ruled={"direction": "lower", "bands": (">25%", "10-25%", "<10%")}),
    _kent("INFO E1", 500, monitor_only=True,
          frequency=("six-monthly", 504, '√'),
          denominator=('individuals accessing the employment support service', 497)),
    _kent("INFO E2", 516, monitor_only=True,
          frequency=("six-monthly", 520, '√'),
          denominator=('individuals accessing the employment support service', 513)),
    _kent("E1", 532, bands=('<85%', '85-99%', '100%'),
          frequency=("six-monthly", 536, '√'),
          denominator=('new individuals accessing the employment service', 529)),
    _kent("E2", 548, bands=('>25%', '10-25%', '<10%'),
          frequency=("six-monthly", 552, '√'),
          denominator=('new individuals accessing the employment service', 545)),
    _kent("E3", 564, bands=('<85%', '85-95%', '>95%'),
          frequency=("quarterly", 567, '√'),
          denominator=('individuals accessing the service', 561)),
    _kent("E4", 580, bands=('<65%', '65-75%', '>75%'),
          frequency=("annual", 585, '√'),
          denominator=('individuals leaving the employment service', 577)),
    _kent("INFO A1", 623, monitor_only=True,
          frequency=("six-monthly", 627, '√'),
          denominator=('accessing the additional support wellbeing service', 620)),
    _kent("INFO A2", 639, monitor_only=True,
          frequency=("six-monthly", 643, '√'),
          denominator=('individuals accessing the additional support service', 636)),
    _kent("INFO A3a", 655, monitor_only=True,
          frequency=("six-monthly", 659, '√'),
          denominator=('individuals accessing the additional support service', 652)),
    _kent("INFO A3b", 671, monitor_only=True,
          frequency=("six-monthly", 675, '√'),
          denominator=('individuals accessing the additional support service', 668)),
    _kent("INFO A3c", 687, monitor_only=True,
          frequency=("six-monthly", 691, '√'),
          denominator=('individuals accessing the additional support service', 684)),
    _kent("INFO A4", 703, monitor_only=True,
          frequency=("six-monthly", 707, '√'),
          denominator=('individuals accessing the additional support service', 700)),
    _kent("A1", 719, bands=('<85%', '85-95%', '>95%'),
          frequency=("six-monthly", 723, '√'),
          denominator=('individuals accessing the additional support service', 716)),
    _kent("A2", 736, bands=('<85%', '85-95%', '>95%'),
          frequency=("six-monthly", 740, '√'),
          denominator=('individuals accessing the additional support service', 733)),
    _kent("INFO T1", 776, monitor_only=True,
          frequency=("six-monthly", 780, '\uf0fc'),
          denominator=('individuals accessing the transport service', 773)),
    _kent("INFO T2", 792, monitor_only=True,
          frequency=("six-monthly", 796, '\uf0fc'),
          denominator=('individuals accessing the transport service', 789)),
    _kent("T1", 808, bands=('<95%', '95-99%', '100%'),
          frequency=("quarterly", 811, '\uf0fc'),
          denominator=('days transport service operates', 805)),
]

# --- Cheshire East (seed 000): section 2.2.1 targets and the Key Performance Indicator and Quality Framework table --
_CE = "cheshire-east-ech"
CE_FOUR_WEEKLY = Cite(1785, "4 weekly")  # the Responsive table's "4 weekly contract and quality review meeting"
CHESHIRE_EAST = [
    SeedKpi(_CE, "CE-K01", target=95, target_at=Cite(209, "Target: 95%"), frequency="quarterly",
            frequency_at=Cite(207, "per quarter"), denominator="Service Users",
            denominator_at=Cite(207, "At least 25% of all Service Users")),
    SeedKpi(_CE, "CE-K02", target=85, target_at=Cite(219, "Target: 85%"), frequency="4-weekly",
            frequency_at=CE_FOUR_WEEKLY),
    # A2: 85% in section 2.2.1, 90% in the Framework table (the stricter figure is shown, the formal one breaches).
    SeedKpi(_CE, "CE-K03", target=85, target_at=Cite(225, "Target: 85%"), disputed_target=90,
            disputed_at=Cite(1746, "90%"), frequency="4-weekly", frequency_at=CE_FOUR_WEEKLY),
    SeedKpi(_CE, "CE-K04", target=85, target_at=Cite(231, "Target: 85%"), disputed_target=90,
            disputed_at=Cite(1759, "90%"), frequency="4-weekly", frequency_at=CE_FOUR_WEEKLY),
    SeedKpi(_CE, "CE-K05", target=90, target_at=Cite(236, "Target: 90%"), frequency="4-weekly",
            frequency_at=Cite(1897, "4 weekly")),
    # Not in the Framework table; the ECM KPIs' cadence.
    SeedKpi(_CE, "CE-K06", target=90, target_at=Cite(242, "Target: 90%"), frequency="4-weekly",
            frequency_at=CE_FOUR_WEEKLY),
    # A2: 90% in section 2.2.1, 95% in the Framework table (Well Led, Rostering).
    SeedKpi(_CE, "CE-K07", target=90, target_at=Cite(246, "Target: 90%"), disputed_target=95,
            disputed_at=Cite(1872, "95%"), frequency="4-weekly", frequency_at=Cite(1897, "4 weekly")),
    SeedKpi(_CE, "CE-K08", target=95, target_at=Cite(256, "Target: 95%"), frequency="4-weekly",
            frequency_at=Cite(1554, "4 weekly")),
    SeedKpi(_CE, "CE-K09", target=95, target_at=Cite(1392, "95% Y"), frequency="4-weekly",
            frequency_at=Cite(1411, "4 weekly")),
    SeedKpi(_CE, "CE-K10", target=95, target_at=Cite(1627, "95% Y"), frequency="4-weekly",
            frequency_at=Cite(1635, "4 weekly")),
    # Governance has no target in the Framework table (its 95% and 90% belong to Rostering and Visit Duration).
    SeedKpi(_CE, "CE-K11", monitor_only=True, monitor_at=Cite(1837, "Governance"), direction=None,
            frequency="4-weekly", frequency_at=Cite(1897, "4 weekly")),
    SeedKpi(_CE, "CE-K12", rating=True, direction=None),
    SeedKpi(_CE, "CE-K13", rating=True, direction=None),
    # The seed ties these to each submission's own timescale ("monthly, quarterly, annually"); no frequency of its own.
    SeedKpi(_CE, "CE-K14", target=95, target_at=Cite(973, "Target: 95%")),
    SeedKpi(_CE, "CE-K15", target=95, target_at=Cite(987, "Target: 95%")),
    # "Any refusal or non-delivery": a target of none at all.
    SeedKpi(_CE, "CE-C03", target=0, target_at=Cite(282, "Any refusal or non-delivery"), direction="lower",
            direction_at=Cite(282, "Any refusal")),
]

# --- Cornwall (seed 002): Leaving Care Key Performance Indicators, "Target 15/16" with Q1 to Q4 columns -----------
_CW = "cornwall-leaving-care"
CW_QUARTERLY = Cite(548, "Q1")
CW_ALLOCATED = "allocated Young People"


def _cw(kpi: str, line: int, target: float | None = None, monitor: str = "", denominator: str | None = None,
        **extra) -> SeedKpi:
    """A Cornwall row: the indicator on line - 1 (its wording gives the denominator), the target on line."""
    if monitor:
        extra.update(monitor_only=True, monitor_at=Cite(line, monitor), direction=None)
    else:
        extra.update(target=target, target_at=Cite(line, f"{target:g}" + ("" if kpi == "KPI 1.2" else "%")))
    return SeedKpi(_CW, kpi, frequency="quarterly", frequency_at=CW_QUARTERLY, denominator=denominator,
                   denominator_at=Cite(extra.pop("denominator_line", line - 1), denominator) if denominator
                   else None, **extra)


CORNWALL = [
    _cw("KPI 1.1", 572, monitor="To be provided in tender submission"),
    # Catalogue note (rules-coverage section 5): the seed also says "160 Young People per year" (l.484); the table's
    # target column is for the year 15/16 while the rulebook counts per quarter (a caseload, not a running total).
    _cw("KPI 1.2", 581, 160),
    _cw("KPI 1.3", 590, monitor="Monitor Only"),
    _cw("KPI 1.4", 599, 92, denominator=CW_ALLOCATED),
    _cw("KPI 1.5", 608, 100, denominator=CW_ALLOCATED),
    # Erratum: the catalogue's CW-K06 row says "Clock: 6 months (CW-15)"; the pathway review rule is CW-16.
    _cw("KPI 1.6", 617, 95, denominator=CW_ALLOCATED, denominator_line=616, rules=("CW-K06", "CW-16"),
        not_rules=("CW-15",)),
    _cw("KPI 1.7", 626, 75, denominator=CW_ALLOCATED),
    _cw("KPI 1.8", 635, 85, denominator=CW_ALLOCATED),
    _cw("KPI 1.9", 644, 90, denominator=CW_ALLOCATED),
    _cw("KPI 1.10", 653, 50, denominator=CW_ALLOCATED),
    _cw("KPI 1.11", 662, 95, denominator=CW_ALLOCATED),
    _cw("KPI 1.12", 671, 80, denominator=CW_ALLOCATED, denominator_line=670),
    _cw("KPI 1.13", 680, 90, denominator=CW_ALLOCATED, denominator_line=679),
    _cw("KPI 1.14", 689, monitor="Monitor Only"),
    _cw("KPI 1.15", 698, 50, denominator="Young People", denominator_line=697),
    _cw("KPI 1.16", 707, monitor="Monitor only", denominator="Young People", denominator_line=706),
    _cw("KPI 2.1", 727, 90, denominator="Personal Advisors", denominator_line=725),
    _cw("KPI 2.2", 737, 100),
    _cw("KPI 2.3", 746, 100),
    _cw("KPI 2.4", 761, monitor="Monitor Only"),
    _cw("KPI 2.5", 770, monitor="Monitor only"),
    _cw("KPI 2.6", 779, 90),
    _cw("KPI 3.1", 800, monitor="To be provided in tender submission"),
    _cw("KPI 4.1", 818, 10, denominator="contract value", denominator_line=817),
]

# --- Thurrock (seed 003): Appendix 1, Hard Outcomes and their measurement -----------------------------------------
_TH = "thurrock-supported-living"


def _th(kpi: str, line: int, target: float, denominator: str, denominator_line: int, frequency: str = "quarterly",
        frequency_text: str = "Quarterly", **extra) -> SeedKpi:
    """A Thurrock row: Frequency on line - 1, Target on line, "b) ..." the denominator."""
    unit = " years" if kpi == "KPI 2" else "%"
    return SeedKpi(_TH, kpi, target=target, target_at=Cite(line, f"{target:g}{unit}"), frequency=frequency,
                   frequency_at=Cite(line - 1, frequency_text), denominator=denominator,
                   denominator_at=Cite(denominator_line, denominator), **extra)


_SUPPORTED = "Service Users supported in the quarter"
THURROCK = [
    _th("KPI 1", 242, 95, "capacity of the service (8)", 240),
    _th("KPI 2", 253, 2, "Service Users supported by the service as at quarter end", 249, direction="lower",
        direction_at=Cite(138, "no more than 2 years")),
    _th("KPI 3", 262, 95, "new Service Users who joined the service in the quarter", 260),
    _th("KPI 4", 271, 85, _SUPPORTED, 269),
    _th("KPI 5", 282, 80, _SUPPORTED, 278),
    _th("KPI 6", 293, 30, "Service Users participating in meaningful occupation in the quarter", 289),
    _th("KPI 7", 302, 85, _SUPPORTED, 300),
    _th("KPI 8", 311, 85, _SUPPORTED, 309),
    _th("KPI 9", 320, 85, _SUPPORTED, 318),
    _th("KPI 10", 329, 85, "Service Users who departed the service in the quarter", 327),
    _th("KPI 11", 349, 87, "Service Users surveyed", 345, frequency="annual", frequency_text="Annual at Quarter 4"),
]

# --- Hammersmith & Fulham (seed 004): section 8.9 Business Critical Measures, 5.27 and 10 (electronic monitoring) ---
_HF = "hammersmith-fulham-home-care"
HAMMERSMITH_FULHAM = [
    SeedKpi(_HF, "BCM 1", rating=True, direction=None, monitor_at=Cite(2708, "Good rating")),
    SeedKpi(_HF, "BCM 2.1", monitor_only=True, monitor_at=Cite(2739, "1 week notice"), direction=None),
    # rules.md S10: "reviewed on a case by case basis" (l.2775); a refusal found unfair is an event, so the count
    # is shown and never breached.
    SeedKpi(_HF, "BCM 2.2", target=0, target_at=Cite(2767, "0 Refusals"), direction="lower",
            ruling="rules.md S10", ruled={"target": None, "monitor_only": True}),
    SeedKpi(_HF, "BCM 3", target=85, target_at=Cite(2793, "85% positive"), frequency="quarterly",
            frequency_at=Cite(2805, "two consecutive quarters"), denominator="residents responding",
            denominator_at=Cite(2789, "residents responding")),
    # Erratum: BCM 4 is satisfaction with the number of workers (HF-B05); the catalogue linked it to HF-30 (a key
    # worker within 2 weeks) and the rulebook had copied the link.
    SeedKpi(_HF, "BCM 4", target=90, target_at=Cite(2815, "90% of"), frequency="quarterly",
            frequency_at=Cite(2838, "two consecutive quarters"), denominator="residents",
            denominator_at=Cite(2816, "residents"), rules=("HF-B05",), not_rules=("HF-30",)),
    SeedKpi(_HF, "BCM 5 (6 weeks)", target=85, target_at=Cite(2848, "85% of"), frequency="quarterly",
            frequency_at=Cite(2877, "two consecutive quarters"), denominator="residents",
            denominator_at=Cite(2849, "residents")),
    SeedKpi(_HF, "BCM 5 (8 weeks)", target=95, target_at=Cite(2856, "95% of"), frequency="quarterly",
            frequency_at=Cite(2877, "two consecutive quarters"), denominator="residents",
            denominator_at=Cite(2857, "residents")),
    SeedKpi(_HF, "BCM 6 (95 days)", target=85, target_at=Cite(2894, "85% of"), frequency="quarterly",
            frequency_at=Cite(2917, "two consecutive quarters"), denominator="reviews due",
            denominator_at=Cite(2890, "reviews due")),
    SeedKpi(_HF, "BCM 6 (4 months)", target=95, target_at=Cite(2901, "95% of"), frequency="quarterly",
            frequency_at=Cite(2917, "two consecutive quarters"), denominator="reviews due",
            denominator_at=Cite(2890, "reviews due")),
    SeedKpi(_HF, "BCM 7", target=85, target_at=Cite(2929, "85% positive"), frequency="quarterly",
            frequency_at=Cite(2943, "two consecutive quarters"), denominator="responses",
            denominator_at=Cite(2930, "responses")),
    SeedKpi(_HF, "BCM 8", target=85, target_at=Cite(3020, "85%"), frequency="quarterly",
            frequency_at=Cite(3031, "two consecutive quarters")),
    SeedKpi(_HF, "BCM 9", target=85, target_at=Cite(3042, "85% positive"), denominator="responses",
            denominator_at=Cite(3043, "responses")),
    # Section 5.27's table: Requirement 1 at 95%, Requirement 2 at 100% (every row of hours gives the same targets).
    SeedKpi(_HF, "BCM 10 (Requirement 1)", target=95, target_at=Cite(1452, "1 worker 95%"), frequency="quarterly",
            frequency_at=Cite(3069, "two consecutive quarters")),
    SeedKpi(_HF, "BCM 10 (Requirement 2)", target=100, target_at=Cite(1452, "No more than 3 100%"),
            frequency="quarterly", frequency_at=Cite(3069, "two consecutive quarters")),
    SeedKpi(_HF, "E-monitoring", target=90, target_at=Cite(3250, "90% and over")),
    SeedKpi(_HF, "Worker e-monitoring", monitor_only=True, monitor_at=Cite(3222, "falls below 85%"), direction=None),
    SeedKpi(_HF, "Urgent starts", target=100, target_at=Cite(3086, "100% performance")),
    SeedKpi(_HF, "Time-critical visits", monitor_only=True, monitor_at=Cite(3282, "tolerance of 15 minutes"),
            direction=None),
    SeedKpi(_HF, "Double-up arrivals", monitor_only=True, monitor_at=Cite(3122, "within 15 minutes of each other"),
            direction=None),
    SeedKpi(_HF, "ASC-WDS records", target=90, target_at=Cite(2025, "minimum of 90%"), frequency="annual",
            frequency_at=Cite(2026, "once per financial year"), denominator="staff",
            denominator_at=Cite(2026, "staff")),
]


def _nil(book: str, kpi: str, line: int, words: str) -> SeedKpi:
    """A requirement on every visit, person or week ("must", "all"): a count of those missed, which must be nil."""
    return SeedKpi(book, kpi, target=0, target_at=Cite(line, words), direction="lower")


def _watched(book: str, kpi: str, line: int, words: str) -> SeedKpi:
    """A practice the seed names with no figure ("regularly", "preferably"): monitored only."""
    return SeedKpi(book, kpi, monitor_only=True, monitor_at=Cite(line, words), direction=None)


# --- issue 15, "the missing third": requirements with no figure of their own, each a nil count or monitored ------
MISSING_THIRD = [
    _nil(_CE, "Variances without a reason", 720, "does not take place a reason is"),
    _nil(_CE, "Days without an ECM update", 734, "at least once per working day"),
    _nil(_CE, "Manual uploads missed", 705, "Service Users on a weekly basis"),
    _nil(_CW, "Safer recruitment", 206, "DBS checked and references sought prior to commencing their role"),
    _nil(_CW, "Emergency payments over £30", 473, "authorise up to £30 emergency payments"),
    _nil(_CW, "CiC reviews attended", 445, "Attend Child in Care reviews from allocation"),
    _nil(_TH, "Plans from the start", 557, "clear move on plan with the individual at the start of the Service"),
    _watched(_TH, "Joint support reviews", 88, "at regular intervals"),
    _watched(_TH, "Progress reviews", 102, "carried out regularly both by ASC and the Provider"),
    _watched(_TH, "Joint assessments", 112, "preferably undertake a joint assessment"),
    _watched(_TH, "Applicants refused", 114, "stating the reasons for refusal"),
    _nil(_HF, "Hours above commissioned", 1409, "total commissioned hours are not exceeded"),
    _nil(_HF, "Short visits", 730, "no visits of 15 minutes or less"),
    _nil(_HF, "Planned visits not submitted", 3237, "submit planned visits on a weekly basis"),
    _nil(_HF, "Supervision", 2387, "at a minimum every 3 months"),
    _nil(_HF, "Appraisals", 2391, "all staff have a documented annual"),
    _nil(_HF, "London Living Wage", 2379, "Living Wage, pay Home Care and Independent Living Workers"),
    _nil(_HF, "Risk assessments", 4186, "individual risk assessment on all new referrals"),
    _nil(_HF, "Care plans sent", 3271, "following their 6-week review and after every 3-month review"),
    _watched(_HF, "Referrals outside Brokerage", 784, "outside of this process"),
]

KPIS: list[SeedKpi] = KENT + CHESHIRE_EAST + CORNWALL + THURROCK + HAMMERSMITH_FULHAM + MISSING_THIRD

# --- clocks: length and unit; None where the seed leaves the time to the council ("council-set") -----------------
CLOCKS: list[SeedClock] = [
    SeedClock("cheshire-east-ech", "siap_due", None, "working_days", Cite(873, "within the specified time")),
    SeedClock("cheshire-east-ech", "default_remedy", None, "working_days",
              Cite(889, "within the specified time detailed in the Default Notice")),
    SeedClock("cheshire-east-ech", "suspension_cure", 10, "working_days", Cite(877, "10 Working Days")),
    SeedClock("kent-ld-day-services", "plan_agreed", 10, "working_days",
              Cite(910, "within 10 working days of receiving its formal warning")),
    SeedClock("kent-ld-day-services", "minutes_response", 10, "working_days", Cite(899, "within ten Business Days")),
    SeedClock("thurrock-supported-living", "plan_due", None, "working_days",
              Cite(179, "within a timescale to be defined by the Council")),
    SeedClock("hammersmith-fulham-home-care", "plan_due", None, "working_days", Cite(955, "within an agreed")),
    # A37: the seed gives no time for remedying a default.
    SeedClock("hammersmith-fulham-home-care", "default_remedy", None, "working_days",
              Cite(956, "Default Notice")),
    # HF-74, A41: "one working day (24 hours)"; the stricter 24 hours is the clock.
    SeedClock("hammersmith-fulham-home-care", "complaint_reported", 24, "hours",
              Cite(3848, "within one working day (24 hours)")),
    SeedClock("hammersmith-fulham-home-care", "complaint_draft", 10, "working_days",
              Cite(3849, "draft response to the complaint within 10")),
    SeedClock("hammersmith-fulham-home-care", "complaint_passed_draft", 10, "working_days",
              Cite(3878, "10 working days to submit a draft response")),
]
