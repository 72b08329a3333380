"""org.selectors.Supervisors: the one rule for "the supervisor responsible at or above a unit"
(used by the receivables ladder and the visit escalation)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from powerkam.org.selectors import Supervisors


def test_nearest_is_own_unit_else_nearest_ancestor(org_tree, make_staff):
    boss = make_staff("supervisor", org_tree["company"])
    make_staff("supervisor", org_tree["company"])  # a second company supervisor: the lower pk wins
    north = make_staff("supervisor", org_tree["north"])
    s1 = make_staff("supervisor", org_tree["s1"])
    make_staff("supervisor", org_tree["s2"], is_active=False)  # inactive: ignored
    make_staff("clerk", org_tree["s3"])  # not a supervisor

    sup = Supervisors()
    assert sup.nearest(org_tree["s1"]) == s1
    assert sup.nearest(org_tree["s2"]) == north
    assert sup.nearest(org_tree["s3"]) == boss
    assert sup.nearest(org_tree["company"]) == boss
    assert sup.nearest(None) is None
    assert sup.unit_count == 3
    assert len(sup.all) == 4

    units = [org_tree[k].pk for k in ("s1", "s2", "s3", "north")]
    with CaptureQueriesContext(connection) as ctx:
        ids = sup.nearest_ids(units)
    assert len(ctx.captured_queries) == 1
    assert ids == {org_tree["s1"].pk: s1.pk, org_tree["s2"].pk: north.pk, org_tree["s3"].pk: boss.pk,
                   org_tree["north"].pk: north.pk}


def test_no_supervisor_anywhere(org_tree, make_staff):
    make_staff("manager", org_tree["s1"])
    sup = Supervisors()
    assert sup.nearest(org_tree["s1"]) is None
    assert sup.nearest_ids([org_tree["s1"].pk]) == {}
