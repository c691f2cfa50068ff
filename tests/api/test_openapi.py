"""The OpenAPI document covers the whole JSON API and the app keeps to it: schemathesis sends every
operation generated requests (seeded, derandomised, bounded) — no 5xx, no answer outside the document."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks

from webapp import create_app, openapi
from webapp.services import accounts

EXAMPLES = 12


def test_every_api_route_is_in_the_document(app, client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    undocumented = sorted(r.endpoint for r in app.url_map.iter_rules()
                          if r.rule.startswith("/api/") and r.endpoint not in openapi.OPERATIONS)
    assert undocumented == []
    operations = {(path, method) for path, methods in document["paths"].items() for method in methods}
    assert ("/api/graph", "get") in operations and ("/api/relations/{ident}", "patch") in operations
    assert ("/api/blocs", "post") in operations  # one path per value of <any(actors, relations, events, blocs)>
    relation = document["components"]["schemas"]["Relation"]
    assert {"start_inferred", "end_inferred", "evidence"} <= set(relation["properties"])
    at = next(p for p in document["paths"]["/api/graph"]["get"]["parameters"] if p["name"] == "at")
    assert at["schema"]["pattern"].startswith("^\\d{4}")


def test_the_reference_page_lists_every_operation(client):
    page = client.get("/api/reference").get_data(as_text=True)
    document = client.get("/api/openapi.json").get_json()
    count = sum(len(methods) for methods in document["paths"].values())
    assert page.count('data-testid="api-operation"') == count > 50
    assert "<script" not in page.split("<main")[1]  # read without scripts (CSP-clean)


def _labels() -> list[str]:
    """Every operation of the document, as schemathesis names them ("GET /api/graph")."""
    app = create_app({"DATABASE_URL": "sqlite://", "AUTO_SETUP": False, "TESTING": True})
    loaded = schemathesis.openapi.from_dict(openapi.document(app))
    return sorted(result.ok().label for result in loaded.get_all_operations())


@pytest.fixture
def api_schema(app, make_user):  # type: ignore[no-untyped-def]
    make_user("fuzzer", "admin")
    with app.extensions["database"].transaction() as session:
        app.config["FUZZ_TOKEN"] = accounts.issue_token(session, "fuzzer").token
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.mark.parametrize("label", _labels())
def test_no_input_makes_the_api_fail_or_leave_its_document(api_schema, app, label):  # type: ignore[no-untyped-def]
    operation = api_schema.find_operation_by_label(label)
    # Plain bodies: schemathesis's WSGI transport does not decode gzip (tests/test_compression.py checks it).
    headers = {"Accept-Encoding": "identity"}
    if not label.startswith("GET "):
        headers["Authorization"] = f"Bearer {app.config['FUZZ_TOKEN']}"

    # Generated requests, and those built from the document's examples (the seed's ids), which get past
    # the first checks and into the services.
    strategy = st.one_of(operation.as_strategy(), *api_schema.get_strategies_from_examples(operation))

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):  # type: ignore[no-untyped-def]
        case.call_and_validate(headers=headers, checks=[
            checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
            checks.response_schema_conformance])

    run()
