"""Record ids in URLs and filters are whole numbers a database key can hold. Anything else —
letters, "²", a number past 2⁶³ — is a 404 for a URL (JSON under /api/) and an unapplied filter
for a query parameter, never a 500."""

import pytest

pytestmark = pytest.mark.django_db

HUGE = str(2**70)


@pytest.mark.parametrize("path", ["/api/v1/outage-notices/abc/acknowledge/", "/api/v1/outage-notices/%C2%B2/",
                                  "/api/v1/tickets/x1/", "/api/v1/visits/1.5/record/", "/api/v1/staff/me2/",
                                  "/api/v1/no-such-endpoint/"])
def test_a_malformed_id_in_the_url_is_a_json_404(world, api, path):
    response = api(world.supervisor).post(path, {}, format="json") if "acknowledge" in path or "record" in path \
        else api(world.supervisor).get(path)
    assert response.status_code == 404, response.content
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_an_id_past_the_key_range_is_not_found(world, api):
    assert api(world.supervisor).get(f"/api/v1/customers/{HUGE}/").status_code == 404


@pytest.mark.parametrize("url", [f"/api/v1/bills/?customer={HUGE}", f"/api/v1/bills/?org_unit={HUGE}",
                                 "/api/v1/bills/?customer=%C2%B2", f"/api/v1/org-units/?within={HUGE}",
                                 f"/billing/bills/?customer={HUGE}", f"/service/outages/?substation={HUGE}",
                                 "/service/surveys/?unit=%C2%B2", f"/service/surveys/?manager={HUGE}",
                                 f"/credit/?org_unit={HUGE}", "/credit/?grade=%C2%B2",
                                 f"/service/tickets/new/?customer={HUGE}", f"/billing/calculator/?customer={HUGE}",
                                 f"/customers/?org_unit={HUGE}", f"/service/visits/?unit={HUGE}"])
def test_a_bad_id_filter_is_not_a_server_error(world, api, url):
    response = api(world.supervisor).get(url)
    assert response.status_code < 500


@pytest.mark.parametrize(("value", "expected"), [("12", 12), (" 7 ", 7), (5, 5), ("0", None), ("-3", None),
                                                 ("²", None), ("١٢", None), ("1e3", None), ("", None), (None, None),
                                                 (str(2**63 - 1), 2**63 - 1), (str(2**63), None), (True, None)])
def test_record_id(value, expected):
    from powerkam.core.params import record_id

    assert record_id(value) == expected
