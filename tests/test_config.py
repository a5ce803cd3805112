from __future__ import annotations

import pytest
from click.testing import CliRunner

from oracle.cli import main
from oracle.config import load_settings
from oracle.errors import ConfigError


def test_command_line_values_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PQORACLE_CONFIRMATIONS", "4")
    assert load_settings().confirmations == 4
    assert load_settings(confirmations=7).confirmations == 7
    assert load_settings(confirmations=None).confirmations == 4


def test_a_malformed_setting_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PQORACLE_LOG_WINDOW", "many")
    with pytest.raises(ConfigError, match=r"setting log_window: .*integer"):
        load_settings()
    with pytest.raises(ConfigError, match=r"setting confirmations: .*greater than or equal to 0"):
        load_settings(confirmations=-1)


def test_a_malformed_setting_exits_2_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PQORACLE_LOG_WINDOW", "0")
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Error: setting log_window: Input should be greater than or equal to 1"
    ]
