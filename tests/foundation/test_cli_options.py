"""Bad window/choice flags are usage errors (exit 2) that name the flag and what is accepted."""

from __future__ import annotations

import pytest

from assistant.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        ["allocate", "--window", "fortnight"],
        ["costs", "--window", "fortnight"],
        ["anomalies", "--window", "fortnight"],
        ["gpu", "--window", "fortnight"],
    ],
)
def test_bad_window_flag(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--window" in err and "Cannot read window 'fortnight'" in err


def test_bad_choice_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["anomalies", "--by", "colour"]) == 2
    err = capsys.readouterr().err
    assert "'colour' is not one of" in err and "--by" in err
