"""`peer-ce status` end to end: the installed command against a live server with demo data."""

from __future__ import annotations

from typer.testing import CliRunner

from app.cli import app as cli


def test_status_against_a_live_server_with_demo_data(live_demo):
    result = CliRunner().invoke(cli, ["status", "--url", live_demo.base_url, "--token", live_demo.peer_token()])
    assert result.exit_code == 1, result.output  # the demo peer's PA-CPS is due soon
    assert "Jordan Rivera" in result.output and "PA-CPS" in result.output and "cap" in result.output
