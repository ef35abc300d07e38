"""Reading the shop catalogue into the phrases customers use."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalogue import Term, file_fingerprint, jieba_dictionary, load_terms, main


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalogue.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_every_name_and_alias_with_its_value(catalogue_path: Path) -> None:
    terms = load_terms(catalogue_path)
    assert Term("product", "DR-001", "碎花连衣裙", "zh") in terms
    assert Term("product", "DR-001", "floral frock", "en") in terms
    assert Term("category", "tshirt", "T-shirt", "en") in terms
    assert Term("color", "blue", "蓝的", "zh") in terms
    # YAML reads `code: 42` as a number; the entity value is still text.
    assert Term("size", "42", "42码", "zh") in terms


def test_malformed_catalogue_is_rejected_naming_the_entry(tmp_path: Path) -> None:
    path = write(tmp_path, "sizes:\n  - {code: M, zh: [M码]}\n  - {code: M, en: [M]}\n")
    with pytest.raises(ValueError, match="duplicate size code 'M'"):
        load_terms(path)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="catalogue file not found: .*nope.yml"):
        load_terms(tmp_path / "nope.yml")


def test_fingerprint_follows_the_content(tmp_path: Path) -> None:
    path = write(tmp_path, "colors:\n  - {code: red, zh: [红色]}\n")
    before = file_fingerprint(path)
    assert file_fingerprint(path) == before
    path.write_text("colors:\n  - {code: red, zh: [红色, 大红]}\n", encoding="utf-8")
    assert file_fingerprint(path) != before
    assert file_fingerprint(tmp_path / "absent.yml") == "missing"


def test_jieba_dictionary_lists_chinese_phrases_jieba_can_hold(catalogue_path: Path) -> None:
    words = jieba_dictionary(load_terms(catalogue_path))
    assert "碎花连衣裙" in words and "纯棉T恤" in words
    assert "floral dress" not in words  # no Chinese
    assert "鞋" not in words  # a single character gains nothing
    assert words == sorted(set(words))


def test_cli_prints_the_jieba_dictionary(catalogue_path: Path, capsys) -> None:
    assert main(["jieba", str(catalogue_path)]) == 0
    assert "碎花连衣裙" in capsys.readouterr().out.splitlines()


def test_cli_reports_a_bad_catalogue(tmp_path: Path, capsys) -> None:
    assert main(["jieba", str(tmp_path / "nope.yml")]) == 1
    assert "catalogue file not found" in capsys.readouterr().err
    assert main(["words"]) == 2
