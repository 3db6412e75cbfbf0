"""Rulebooks load and validate with errors naming the file, line and problem."""

from pathlib import Path

import pytest

from workflows.rulebook import RulebookError, load_rulebooks, parse_rulebook

ROOT = Path(__file__).resolve().parents[2]


def test_the_five_seed_rulebooks_load():
    books = load_rulebooks(ROOT / "rulebooks")
    assert {b.seed for b in books.values()} == {"000", "001", "002", "003", "004"}
    assert books["kent-ld-day-services"].lots[:2] == ("1a", "1b")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "bad.toml", '[rulebook]\nid = "bad"\ntitle = \n')
    with pytest.raises(RulebookError, match=r"bad.toml, line 3: not valid TOML"):
        parse_rulebook(path)


def test_a_bad_region_names_the_line(tmp_path):
    path = write(tmp_path, "x-council.toml", '[rulebook]\nid = "x-council"\ntitle = "X"\ncouncil = "X"\n'
                 'seed = "009"\nservice = "Home care"\nregion = "wales"\n')
    with pytest.raises(RulebookError, match=r"x-council.toml, line 7: 'region' must be one of"):
        parse_rulebook(path)


def test_a_missing_field_and_a_mismatched_id(tmp_path):
    path = write(tmp_path, "y.toml", '[rulebook]\nid = "yy"\ntitle = "Y"\n')
    with pytest.raises(RulebookError, match="'council' must be a non-empty string"):
        parse_rulebook(path)
    path = write(tmp_path, "zz.toml", '[rulebook]\nid = "other"\ntitle = "Z"\ncouncil = "Z"\nseed = "1"\n'
                 'service = "S"\nregion = "scotland"\n')
    with pytest.raises(RulebookError, match="line 2: 'id' is 'other' but the file is named 'zz'"):
        parse_rulebook(path)


def test_start_up_stops_on_a_bad_rulebook(tmp_path):
    write(tmp_path, "bad.toml", "[rulebook\n")
    with pytest.raises(RulebookError, match="bad.toml"):
        load_rulebooks(tmp_path)


def test_a_rulebook_read_again_unchanged_is_the_same_and_a_changed_one_is_read_afresh(tmp_path):
    """Each app made in a process loads the rulebooks (each test makes one): an unchanged file is parsed once, and
    the frozen Rulebook shared; a file whose text changed is parsed again, and one that became bad fails again."""
    source = (ROOT / "rulebooks" / "kent-ld-day-services.toml").read_text(encoding="utf-8")
    path = write(tmp_path, "kent-ld-day-services.toml", source)
    first = load_rulebooks(tmp_path)["kent-ld-day-services"]
    assert load_rulebooks(tmp_path)["kent-ld-day-services"] is first
    path.write_text(source.replace(f'title = "{first.title}"', 'title = "Kent, as changed"', 1), encoding="utf-8")
    assert load_rulebooks(tmp_path)["kent-ld-day-services"].title == "Kent, as changed"
    path.write_text("[rulebook\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RulebookError):
            load_rulebooks(tmp_path)
