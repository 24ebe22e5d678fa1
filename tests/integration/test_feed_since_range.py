"""Issue 28 defect 12: `export-feed --since` with a date out of range is a usage error, not a traceback."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("since", [
    "9999-12-31T23:30:00-05:00",  # valid ISO 8601, past year 9999 once in UTC
    "0001-01-01T00:30:00+05:00",  # before year 1 once in UTC
    "0001-01-01",
    "9999-12-31",
])
def test_an_out_of_range_since_is_a_clear_usage_error(app, demo_data, tmp_path, since):
    result = app.test_cli_runner().invoke(
        args=["export-feed", "--term", "202710", "--delta", "--since", since, "--out", str(tmp_path)]
    )
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Invalid value for --since" in result.output and "outside the years" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, OverflowError)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_since_in_range_still_works(app, demo_data, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["export-feed", "--term", "202710", "--delta", "--since", "1999-01-01", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
