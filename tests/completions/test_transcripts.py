import csv
import io

from tests.factories import learner


def test_transcript_per_cycle_in_json_and_csv(admin, client, tokens, provider_client, course, peer):
    pid = peer["person"]["id"]
    provider_client.post(
        "/v1/completions",
        json={**learner(peer["person"], peer["nc"]), "course_id": course["id"], "completed_on": "2025-06-10"},
    )
    me = client.as_(tokens.peer(pid))
    transcript = me.get(f"/v1/people/{pid}/transcript").json()
    nc = next(c for c in transcript["certifications"] if c["credential_code"] == "NC-CPSS")
    line = nc["cycles"][-1]["completions"][0]
    assert line["counted_hours"] == 3 and line["outcome"] == "counted"
    va = next(c for c in transcript["certifications"] if c["credential_code"] == "VA-RPRS")
    assert any(li["outcome"] == "not_counted" for cyc in va["cycles"] for li in cyc["completions"])
    as_csv = me.get(f"/v1/people/{pid}/transcript", headers={"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert any(r["credential_code"] == "NC-CPSS" and r["counted_hours"] == "3.00" for r in rows)
    assert client.as_(tokens.board("OH")).get(f"/v1/people/{pid}/transcript").status_code == 404
