"""The error tree's shape and the packages' explicit public names."""

from __future__ import annotations

import assistant.errors as errors
from assistant.errors import ImportFileError, InputError, PennyError, QueryRejected


def test_every_exported_error_derives_from_penny_error() -> None:
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), PennyError), name


def test_import_file_error_names_file_row_and_column() -> None:
    exc = ImportFileError("not a number: 'abc'", file="bill.csv", row=7, column="BilledCost")
    assert str(exc) == "bill.csv, row 7, column 'BilledCost': not a number: 'abc'"
    assert isinstance(exc, InputError)
    assert exc.to_dict()["context"] == {"file": "bill.csv", "row": 7, "column": "BilledCost"}
    assert exc.http_status == 400


def test_error_dict_carries_code_hint_and_context() -> None:
    exc = QueryRejected("DROP is not allowed.", hint="Send a SELECT.", sql="DROP TABLE x")
    assert exc.to_dict() == {
        "code": "query_rejected",
        "message": "DROP is not allowed.",
        "hint": "Send a SELECT.",
        "context": {"sql": "DROP TABLE x"},
    }
