"""Public catalog search: words, topics, modality, provider and current approvals, page by page."""

from __future__ import annotations

import pytest

from tests.catalog.helpers import counting_selects, new_course, new_provider, problem


@pytest.fixture
def provider(admin) -> dict:
    return new_provider(admin)


def _search(client, **params) -> list[dict]:
    response = client.get("/v1/courses", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _ids(items) -> list[int]:
    return [c["id"] for c in items]


def test_words_match_the_title_or_the_description_in_any_case(client, admin, provider):
    pid = provider["id"]
    interviewing = new_course(admin, pid, title="Motivational interviewing refresher")
    described = new_course(
        admin, pid, title="Conversations that help", description="Practise motivational techniques with role plays."
    )
    new_course(admin, pid, title="Documentation basics", description="Service notes.")
    assert _ids(_search(client, q="MOTIVATIONAL", provider_id=pid)) == [interviewing["id"], described["id"]]
    assert _ids(_search(client, q="motivational refresher", provider_id=pid)) == [interviewing["id"]]
    assert _search(client, q="astrophysics", provider_id=pid) == []


def test_only_published_courses_are_found(client, admin, provider):
    pid = provider["id"]
    published = new_course(admin, pid)
    new_course(admin, pid, status="draft")
    retired = new_course(admin, pid)
    admin.post(f"/v1/courses/{retired['id']}/retire")
    assert _ids(_search(client, provider_id=pid)) == [published["id"]]
    assert _ids(_search(admin, provider_id=pid)) == [published["id"]]  # admins search the same public catalog


def test_topic_modality_and_provider_filters_combine(client, admin, provider):
    pid = provider["id"]
    harm = new_course(admin, pid, topics=["harm-reduction"], modality="in_person")
    crisis = new_course(admin, pid, topics=["crisis-support", "suicide-prevention"], modality="self_paced")
    new_course(admin, new_provider(admin)["id"], topics=["harm-reduction"], modality="in_person")
    assert _ids(_search(client, topic="harm-reduction", provider_id=pid)) == [harm["id"]]
    assert _ids(_search(client, topic=["harm-reduction", "suicide-prevention"], provider_id=pid)) == [
        harm["id"],
        crisis["id"],
    ]
    assert _ids(_search(client, modality="self_paced", provider_id=pid)) == [crisis["id"]]
    assert _ids(_search(client, topic="harm-reduction", modality="self_paced", provider_id=pid)) == []
    problem(client.get("/v1/courses", params={"modality": "carrier_pigeon"}), 422)


def test_credential_and_category_filters_use_approvals_valid_on_the_search_date(client, admin, provider):
    pid = provider["id"]
    ethics = new_course(admin, pid, topics=["ethics-and-boundaries"])
    general = new_course(admin, pid)
    expired = new_course(admin, pid)
    withdrawn = new_course(admin, pid)
    admin.post(f"/v1/courses/{ethics['id']}/approvals", json={"credential_code": "VA-RPRS", "categories": ["ethics"]})
    admin.post(f"/v1/courses/{general['id']}/approvals", json={"credential_code": "VA-RPRS"})
    admin.post(
        f"/v1/courses/{expired['id']}/approvals", json={"credential_code": "VA-RPRS", "valid_until": "2020-12-31"}
    )
    approval = admin.post(f"/v1/courses/{withdrawn['id']}/approvals", json={"credential_code": "VA-RPRS"}).json()
    admin.post(
        f"/v1/courses/{withdrawn['id']}/approvals/{approval['id']}/withdraw",
        json={"withdrawn_on": "2021-01-01", "reason": "Outdated content"},
    )

    assert _ids(_search(client, credential_code="va-rprs", provider_id=pid)) == [ethics["id"], general["id"]]
    assert _ids(_search(client, credential_code="VA-RPRS", category="ethics", provider_id=pid)) == [ethics["id"]]
    assert _ids(_search(client, category="ethics", provider_id=pid)) == [ethics["id"]]
    assert _search(client, credential_code="NC-CPSS", provider_id=pid) == []
    in_2020 = _search(client, credential_code="VA-RPRS", provider_id=pid, as_of="2020-06-01")
    assert _ids(in_2020) == [ethics["id"], general["id"], expired["id"], withdrawn["id"]]


def test_each_result_says_for_which_credentials_and_categories_it_counts(client, admin, provider):
    course = new_course(admin, provider["id"], topics=["ethics-and-boundaries"], hours=3)
    admin.post(
        f"/v1/courses/{course['id']}/approvals",
        json={"credential_code": "VA-RPRS", "categories": ["ethics"], "hours": 2},
    )
    admin.post(
        f"/v1/courses/{course['id']}/approvals",
        json={"credential_code": "PA-CPS", "categories": ["peer-support-recovery", "ethics"]},
    )
    [item] = _search(client, provider_id=provider["id"])
    assert item["provider"] == {"id": provider["id"], "name": provider["name"]}
    assert item["topics"] == ["ethics-and-boundaries"] and item["hours"] == 3
    assert item["approvals"] == [
        {"credential_code": "PA-CPS", "categories": ["ethics", "peer-support-recovery"], "hours": None},
        {"credential_code": "VA-RPRS", "categories": ["ethics"], "hours": 2},
    ]


def test_results_come_page_by_page_in_a_stable_order(client, admin, provider):
    ids = [new_course(admin, provider["id"])["id"] for _ in range(7)]
    seen, cursor = [], None
    while True:
        page = client.get(
            "/v1/courses", params={"provider_id": provider["id"], "limit": 3, **({"cursor": cursor} if cursor else {})}
        ).json()
        seen += _ids(page["items"])
        if not (cursor := page["next_cursor"]):
            break
    assert seen == ids


def test_the_page_size_is_capped_at_200(client):
    body = problem(client.get("/v1/courses", params={"limit": 201}), 422)
    assert body["errors"][0]["field"] == "query.limit"
    assert client.get("/v1/courses", params={"limit": 200}).status_code == 200


def test_a_page_takes_the_same_few_queries_however_many_results_it_has(client, admin, engine, provider):
    for _ in range(12):
        course = new_course(admin, provider["id"], topics=["harm-reduction", "crisis-support"])
        admin.post(
            f"/v1/courses/{course['id']}/approvals", json={"credential_code": "PA-CPS", "categories": ["ethics"]}
        )
    counts = []
    for limit in (2, 12):
        with counting_selects(engine) as selects:
            items = _search(client, provider_id=provider["id"], limit=limit)
        assert len(items) == limit and all(i["approvals"] for i in items)
        counts.append(len(selects))
    assert counts[0] == counts[1] <= 5  # the page, its topics, approvals, providers and next sessions


def test_the_sample_catalog_is_searchable_by_credential(client):
    items = _search(client, credential_code="WV-PRSS", category="peer-code-of-ethics")
    assert items and all("(sample data)" in i["provider"]["name"] for i in items)
