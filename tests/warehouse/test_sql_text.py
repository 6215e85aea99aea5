"""What a quoted name or value reads back as in DuckDB: the text itself, never SQL."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from assistant.warehouse.sql_text import ident, json_key, lit, path_lit


def one(sql: str) -> tuple[object, ...] | None:
    return duckdb.connect().execute(sql).fetchone()


NASTY = ["plain", "it's", "''", 'say "hi"', "a'; DROP TABLE t; --", "__idle__", ""]


@pytest.mark.parametrize("text", NASTY)
def test_a_literal_reads_back_as_the_text(text: str) -> None:
    assert one(f"SELECT {lit(text)}") == (text,)


@pytest.mark.parametrize("name", ["Billed Cost", 'x"y', "x'y", "select"])
def test_an_identifier_names_the_column(name: str) -> None:
    cur = duckdb.connect().execute(f"SELECT 7 AS {ident(name)}")
    assert [d[0] for d in cur.description] == [name]
    assert cur.fetchone() == (7,)


def test_the_spelling_doubles_quotes() -> None:
    assert lit("it's") == "'it''s'"
    assert ident('x"y') == '"x""y"'
    assert path_lit(Path("/tmp/o'brien/b=1")) == "'/tmp/o''brien/b=1'"


@pytest.mark.parametrize("key", ["team", "app.kubernetes.io/name", "o'k"])
def test_a_json_key_selects_that_key(key: str) -> None:
    labels = json.dumps({key: "found", "other": "no"})
    assert one(f"SELECT json_extract_string({lit(labels)}, {json_key(key)})") == ("found",)
