"""`peer-ce status`: what it prints and its exit codes (0 fine, 1 due soon or worse, 2 error)."""

from __future__ import annotations

import io
import json
import socket
from datetime import UTC, datetime

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from app.cli import app as cli
from app.client import show_status
from app.clock import FixedClock
from tests import factories


class AppTransport(httpx.BaseTransport):
    """Sends the thin client's requests to the test app (inside the test's transaction)."""

    def __init__(self, api) -> None:
        self.api = api

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "accept")}
        response = self.api.request(
            request.method, request.url.raw_path.decode(), headers=headers, content=request.read()
        )
        return httpx.Response(response.status_code, headers=response.headers, content=response.content)


def _run(client, token: str, *, as_json: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = show_status(
        url="http://peer-ce.test",
        token=token,
        as_json=as_json,
        transport=AppTransport(client),
        console=Console(file=out, width=120),
        err_console=Console(file=err, width=120),
    )
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def peer(app, admin, tokens):
    """An NC-CPSS holder whose cycle ends 2027-03-31 (due soon from 2027-01-01)."""
    person = factories.person(admin, given_name="Casey", family_name="Nguyen")
    cert = factories.certification(admin, person_id=person["id"], issued_on="2025-03-15")
    return tokens.peer(person["id"]), cert


def test_in_progress_prints_the_requirements_and_exits_0(app, client, peer):
    app.state.clock = FixedClock(datetime(2026, 6, 1, 15, tzinfo=UTC))
    token, cert = peer
    code, out, _ = _run(client, token)
    assert code == 0
    assert "In progress" in out and cert["number"] in out
    assert "All CE hours" in out and "0 / 20 h" in out and "20 h to go" in out
    assert "Courses that would close your gap" in out and "(sample course)" in out


def test_due_soon_exits_1(app, client, peer):
    app.state.clock = FixedClock(datetime(2027, 2, 15, 15, tzinfo=UTC))
    code, out, _ = _run(client, peer[0])
    assert code == 1
    assert "Due soon" in out


def test_lapsed_exits_1_and_json_is_the_apis_answer(app, client, peer):
    app.state.clock = FixedClock(datetime(2027, 6, 1, 15, tzinfo=UTC))
    code, out, _ = _run(client, peer[0], as_json=True)
    assert code == 1
    data = json.loads(out)
    assert data["items"][0]["compliance"]["status"] == "lapsed"
    assert data == client.as_(peer[0]).get("/v1/me/certifications").json()


def test_a_refused_token_exits_2_with_the_problem_detail(client, tokens):
    code, out, err = _run(client, "not-a-token")
    assert code == 2 and out == ""
    assert "token was refused" in err and "401" in err


def test_a_token_that_is_not_a_peers_exits_2(client, tokens):
    code, _, err = _run(client, tokens.admin())
    assert code == 2 and "not a peer's token" in err


def test_an_unreachable_service_exits_2():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    result = CliRunner().invoke(cli, ["status", "--url", f"http://127.0.0.1:{port}", "--token", "x", "--timeout", "2"])
    assert result.exit_code == 2
    assert "cannot reach" in result.output


def test_status_needs_a_token():
    result = CliRunner().invoke(cli, ["status", "--url", "http://127.0.0.1:9"], env={"PEER_CE_TOKEN": ""})
    assert result.exit_code == 2 and "--token" in result.output


def test_overdue_names_the_grace_end_as_the_deadline_and_the_boards_contact(app, client, peer):
    """NC-CPSS: the cycle ended on Mar 31, 2027; the 30-day grace ends Apr 30, 2027 and CE in it counts."""
    app.state.clock = FixedClock(datetime(2027, 4, 10, 15, tzinfo=UTC))
    code, out, _ = _run(client, peer[0])
    assert code == 1 and "Overdue" in out
    assert "earn 20 more hours by Apr 30, 2027" in out and "grace period" in out
    assert "https://pss.unc.edu/certification/recertification" in out  # the rule set's contact
    assert "2027-03-31" not in out  # plain dates only


def test_lapsed_says_only_the_board_helps_and_suggests_no_courses(app, client, peer):
    app.state.clock = FixedClock(datetime(2027, 6, 1, 15, tzinfo=UTC))
    code, out, _ = _run(client, peer[0])
    assert code == 1 and "Lapsed" in out
    assert "only your board can reinstate it" in out and "Contact NC Certified Peer Support Specialist" in out
    assert "Courses that would close your gap" not in out


def test_suspended_says_what_happened_and_whom_to_contact(app, client, admin, peer):
    app.state.clock = FixedClock(datetime(2026, 6, 1, 15, tzinfo=UTC))
    token, cert = peer
    admin.post(
        f"/v1/certifications/{cert['id']}/actions",
        json={"kind": "suspend", "effective_on": "2026-05-01", "reason": "Complaint under review"},
    )
    code, out, _ = _run(client, token)
    assert code == 1 and "Suspended" in out and "was suspended by your board" in out
    assert "Contact NC Certified Peer Support Specialist Program" in out
    assert "Courses that would close your gap" not in out


def test_no_grace_is_said_and_a_cap_is_a_limit_not_a_requirement_met(app, client, admin, tokens):
    app.state.clock = FixedClock(datetime(2026, 6, 1, 15, tzinfo=UTC))
    person = factories.person(admin)
    factories.certification(admin, person_id=person["id"], credential_code="VA-RPRS", issued_on="2025-03-15")
    _, out, _ = _run(client, tokens.peer(person["id"]))
    assert "no grace period" in out and "grace period ends" not in out
    crpa = factories.person(admin)
    factories.certification(admin, person_id=crpa["id"], credential_code="NY-CRPA", issued_on="2025-03-15")
    _, out, _ = _run(client, tokens.peer(crpa["id"]))
    line = next(x for x in out.splitlines() if "limit on" in x)
    assert "met" not in line and "a limit: at most 4 h count" in line


def test_a_token_for_a_person_with_no_record_exits_2(client, tokens):
    code, out, err = _run(client, tokens.peer(987654))
    assert code == 2 and out == "" and "no record matches this token" in err


def test_status_reads_the_port_from_the_environment(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = CliRunner().invoke(
        cli,
        ["status", "--token", "x", "--timeout", "2"],
        env={"PEER_CE_PORT": str(port), "PEER_CE_DATA_DIR": str(tmp_path), "PEER_CE_PUBLIC_BASE_URL": ""},
    )
    assert result.exit_code == 2 and f"127.0.0.1:{port}" in result.output


def test_token_says_when_it_creates_a_new_signing_key(tmp_path):
    env = {"PEER_CE_DATA_DIR": str(tmp_path / "other"), "PEER_CE_ENVIRONMENT": "development"}
    first = CliRunner().invoke(cli, ["token", "--role", "admin"], env=env)
    assert first.exit_code == 0 and "creating a new one" in first.stderr and "Unknown signing key id" in first.stderr
    assert first.stdout.count(".") == 2  # the token alone on stdout
    again = CliRunner().invoke(cli, ["token", "--role", "admin"], env=env)
    assert again.exit_code == 0 and again.stderr == ""


def test_a_pending_self_report_reads_waiting_for_board_review(app, client, peer):
    app.state.clock = FixedClock(datetime(2026, 6, 1, 15, tzinfo=UTC))
    token, _ = peer
    sent = client.as_(token).post(
        "/v1/completions",
        json={
            "title": "Peer conference: ethics panel",
            "provider_name": "State peer conference",
            "hours": 1.5,
            "modality": "in_person",
            "completed_on": "2026-05-20",
        },
    )
    assert sent.status_code == 201, sent.text
    _, out, _ = _run(client, token)
    flat = " ".join(out.split())
    assert '"Peer conference: ethics panel" (May 20, 2026) is waiting for board review' in flat
    assert "1 of your reports is waiting for board review" in flat
    assert "pending review or voided" not in flat and "Completion #" not in flat
