import pytest
from django.utils import translation

from powerkam.core.notify import LoggingSmsGateway


@pytest.fixture(autouse=True)
def _english_and_clean_outbox(settings):
    settings.LANGUAGE_CODE = "en"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    LoggingSmsGateway.outbox.clear()
    with translation.override("en"):
        yield
    LoggingSmsGateway.outbox.clear()


@pytest.fixture
def grid(org_tree, make_staff):
    """Substation A with lines L1 and L2; a customer on each line, one backup-only customer on L1,
    one customer with two supply points on L1, a customer without contacts on L1, a customer whose
    contacts have no e-mail or mobile on L1, a closed customer on L1, and one supply point at the
    substation with no line recorded."""
    from datetime import date

    from powerkam.customers import constants as cc
    from tests.factories import (
        ContactFactory,
        CustomerFactory,
        SubstationFactory,
        SupplyLineFactory,
        SupplyPointFactory,
    )

    sub = SubstationFactory(name="110kV东城变", org_unit=org_tree["s1"])
    l1 = SupplyLineFactory(substation=sub, name="10kV东城一线")
    l2 = SupplyLineFactory(substation=sub, name="10kV东城二线")
    manager = make_staff("manager", org_tree["s1"])
    cust = lambda name, **kw: CustomerFactory(name=name, org_unit=org_tree["s1"], **kw)  # noqa: E731
    a = cust("甲钢铁", is_key_account=True, primary_manager=manager)
    ContactFactory(customer=a, name="甲电工", is_primary=True, mobile="13900000001", email="a@example.com")
    ContactFactory(customer=a, name="甲经理", mobile="", email="boss-a@example.com")
    SupplyPointFactory(customer=a, supply_line=l1, name="1号电源")
    b = cust("乙食品")
    ContactFactory(customer=b, mobile="13900000002", email="")
    SupplyPointFactory(customer=b, supply_line=l2, name="1号电源")
    backup = cust("丙医院")
    ContactFactory(customer=backup, mobile="13900000003", email="")
    SupplyPointFactory(customer=backup, supply_line=l2, name="主供")
    SupplyPointFactory(customer=backup, supply_line=l1, name="备用", source_type=cc.SourceType.BACKUP)
    twice = cust("丁化工")
    ContactFactory(customer=twice, mobile="", email="d@example.com")
    SupplyPointFactory(customer=twice, supply_line=l1, name="1号电源")
    SupplyPointFactory(customer=twice, supply_line=l1, name="2号电源")
    nobody = cust("戊商场")
    SupplyPointFactory(customer=nobody, supply_line=l1)
    unreachable = cust("己学校")
    ContactFactory(customer=unreachable, mobile="", email="", phone="025-84000000")
    SupplyPointFactory(customer=unreachable, supply_line=l1)
    closed = cust("庚纺织", lifecycle_status=cc.LifecycleStatus.CLOSED, closed_on=date(2026, 1, 1))
    ContactFactory(customer=closed, mobile="13900000009")
    SupplyPointFactory(customer=closed, supply_line=l1)
    gap = cust("辛物流")
    ContactFactory(customer=gap, mobile="13900000010")
    SupplyPointFactory(customer=gap, supply_line=None, substation=sub, name="未登记线路")
    return {"sub": sub, "l1": l1, "l2": l2, "manager": manager, "a": a, "b": b, "backup": backup, "twice": twice,
            "nobody": nobody, "unreachable": unreachable, "closed": closed, "gap": gap}


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit(): ...` runs the transaction.on_commit callbacks registered inside (the
    sending of the notices) when the block ends, as the real commit would. The test's own
    transaction never commits, so without it nothing is sent."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
