"""Rule sets through the API: public reads, versioned publishing, idempotent content loading."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from sqlmodel import select

from app.clock import FixedClock
from app.content import load_shipped_content
from app.rules.models import RuleSetVersion
from tests import factories

SHIPPED = {
    "NC-CPSS",
    "VA-RPRS",
    "KY-APSS",
    "KY-FPSS",
    "KY-RADPSS",
    "PA-CPS",
    "PA-CRS",
    "GA-CPS-MH",
    "GA-CPS-AD",
    "TX-PS",
    "CA-CMPSS",
    "NY-CRPA",
    "WA-CPSS",
    "OH-PEER",
    "MI-CPSS",
    "IL-CPRS",
    "WV-PRSS",
    "ICRC-PR",
    "MS-CPSSP",
    "NE-CPSS",
    "OR-PSS",
    "SC-CPSS",
    "WI-CPS",
    "NY-NYCPS",
    "NY-CARC",
    "KY-YPSS",
    "PA-CFRS",
    "WV-PRSS-MH",
    "WV-PRSS-SUD",
}


def _rules(client, code="NC-CPSS"):
    return copy.deepcopy(client.get(f"/v1/credentials/{code}").json()["current"]["rules"])


def test_anyone_lists_the_shipped_credentials_with_sources(client):
    items = client.get("/v1/credentials").json()["items"]
    assert {i["code"] for i in items} >= SHIPPED
    for item in items:  # every figure a board reads comes with the sources it was read in
        rules = item["current"]["rules"]
        assert rules["sources"] and all(s["url"] and s["read_on"] and s["title"] for s in rules["sources"])
        ids = {s["id"] for s in rules["sources"]}
        assert rules["figure_sources"]["requirements.total_hours"] and all(
            set(cited) <= ids for cited in rules["figure_sources"].values()
        )
    nc = client.get("/v1/credentials", params={"state": "nc"}).json()["items"]
    assert [i["code"] for i in nc] == ["NC-CPSS"]
    wa = client.get("/v1/credentials/WA-CPSS").json()["current"]["rules"]
    wac = next(s for s in wa["sources"] if s["id"] == "wac-246-929-300")
    assert (wac["url"], wac["verified"], wac["read_on"]) == (
        "http://app.leg.wa.gov/wac/default.aspx?cite=246-929-300",
        True,
        "2026-12-05",
    )
    assert wa["figure_sources"]["requirements.categories.suicide-prevention"] == ["wac-246-929-300"]


def test_a_legacy_source_text_is_still_published_and_read_as_one_unverified_source(client, tokens):
    rules = _rules(client)
    del rules["sources"], rules["figure_sources"]
    rules["source"] = "NC board memo 2026-12"
    response = client.as_(tokens.board("NC")).put("/v1/credentials/NC-CPSS", json=rules)
    assert response.status_code == 200, response.text
    assert response.json()["current"]["rules"]["sources"] == [
        {"id": "source", "title": "NC board memo 2026-12", "url": None, "read_on": None, "verified": False, "note": ""}
    ]


def test_unknown_credential_is_404(client):
    response = client.get("/v1/credentials/ZZ-NONE")
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"


def test_board_publishes_a_new_version_and_history_is_kept(client, tokens):
    nc = client.as_(tokens.board("NC"))
    rules = _rules(client)
    rules["requirements"]["total_hours"] = 24
    rules["effective_from"] = "2026-07-01"
    response = nc.put("/v1/credentials/NC-CPSS", json=rules)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [v["version"] for v in body["versions"]] == [1, 2]
    assert body["versions"][1]["origin"] == "api"
    old = client.get("/v1/credentials/NC-CPSS/versions/1").json()
    assert old["rules"]["requirements"]["total_hours"] == 20
    audit = nc.get("/v1/audit", params={"entity": "credential", "id": "NC-CPSS"}).json()["items"]
    assert audit[0]["actor"].startswith("board:") and audit[0]["changes"]["version"] == 2


def test_current_version_is_the_one_in_effect_today(app, client, tokens):
    rules = _rules(client)
    rules["requirements"]["total_hours"] = 24
    rules["effective_from"] = "2030-01-01"
    client.as_(tokens.admin()).put("/v1/credentials/NC-CPSS", json=rules)
    app.state.clock = FixedClock(datetime(2029, 12, 31, 12, tzinfo=UTC))
    assert client.get("/v1/credentials/NC-CPSS").json()["current"]["version"] == 1
    app.state.clock = FixedClock(datetime(2030, 1, 1, 12, tzinfo=UTC))
    assert client.get("/v1/credentials/NC-CPSS").json()["current"]["version"] == 2


def test_a_cycle_is_evaluated_with_the_version_in_effect_on_its_start(admin):
    early = factories.certification(admin, credential_code="KY-APSS", issued_on="2025-03-01")
    late = factories.certification(admin, credential_code="KY-APSS", issued_on="2026-08-01")
    rules = _rules(admin, "KY-APSS")
    rules["requirements"]["total_hours"] = 12
    rules["effective_from"] = "2026-07-01"
    admin.put("/v1/credentials/KY-APSS", json=rules)
    early_eval = admin.get(f"/v1/certifications/{early['id']}/compliance", params={"as_of": "2026-01-01"}).json()
    late_eval = admin.get(f"/v1/certifications/{late['id']}/compliance", params={"as_of": "2026-09-01"}).json()
    assert (early_eval["required_hours"], early_eval["rule_version"]) == (6, 1)
    assert (late_eval["required_hours"], late_eval["rule_version"]) == (12, 2)


def test_publishing_the_same_document_twice_changes_nothing(admin):
    rules = _rules(admin)
    rules["requirements"]["total_hours"] = 22
    first = admin.put("/v1/credentials/NC-CPSS", json=rules).json()
    second = admin.put("/v1/credentials/NC-CPSS", json=rules).json()
    assert len(first["versions"]) == len(second["versions"]) == 2


def test_invalid_rule_set_is_refused_field_by_field_and_nothing_is_stored(admin, db):
    rules = _rules(admin)
    rules["cycle"] = {"anchor": "fixed", "months": 12}
    rules["requirements"]["total_hours"] = "1.234"
    rules["caps"] = [{"modality": "self_paced", "category": "ethics", "max_hours": 5}]
    response = admin.put("/v1/credentials/NC-CPSS", json=rules)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert any(f.startswith("body.cycle") for f in fields)
    assert any(f.startswith("body.requirements.total_hours") for f in fields)
    assert any(f.startswith("body.caps.0") for f in fields)
    assert len(db.exec(select(RuleSetVersion).where(RuleSetVersion.code == "NC-CPSS")).all()) == 1


def test_path_and_body_code_must_agree(admin):
    response = admin.put("/v1/credentials/PA-CPS", json=_rules(admin, "NC-CPSS"))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body.code"


def test_a_credential_cannot_move_to_another_state(admin):
    rules = _rules(admin)
    rules["state"] = "VA"
    assert admin.put("/v1/credentials/NC-CPSS", json=rules).status_code == 409


def test_new_credential_is_201_and_only_its_states_board_may_create_it(client, tokens):
    rules = _rules(client)
    rules.update(code="NC-FPSS", name="Family Peer Support (test)")
    assert client.as_(tokens.board("VA")).put("/v1/credentials/NC-FPSS", json=rules).status_code == 403
    assert client.as_(tokens.provider(1)).put("/v1/credentials/NC-FPSS", json=rules).status_code == 403
    assert client.put("/v1/credentials/NC-FPSS", json=rules).status_code == 401
    created = client.as_(tokens.board("NC")).put("/v1/credentials/NC-FPSS", json=rules)
    assert created.status_code == 201 and created.json()["current"]["version"] == 1


def test_loading_content_again_is_idempotent_and_a_changed_file_is_a_new_version(settings, session_factory, tmp_path):
    summary = load_shipped_content(session_factory, settings.content_dir)
    assert summary["rule_sets_created"] == [] and summary["rule_sets_unchanged"] >= len(SHIPPED)
    (tmp_path / "rules").mkdir()
    text = (settings.content_dir / "rules" / "nc-cpss.yaml").read_text().replace("total_hours: 20", "total_hours: 21")
    (tmp_path / "rules" / "nc-cpss.yaml").write_text(text)
    changed = load_shipped_content(session_factory, tmp_path)
    assert changed["rule_sets_created"] == ["NC-CPSS v2"]
    assert load_shipped_content(session_factory, tmp_path)["rule_sets_created"] == []


def test_an_unchanged_shipped_file_does_not_override_a_boards_newer_version(admin, settings, session_factory):
    rules = _rules(admin)
    rules["requirements"]["total_hours"] = 26
    admin.put("/v1/credentials/NC-CPSS", json=rules)
    load_shipped_content(session_factory, settings.content_dir)
    versions = admin.get("/v1/credentials/NC-CPSS").json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
