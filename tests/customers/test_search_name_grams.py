"""The name search index of the embedded database (issue #11, migration customers 0007,
customers.search_index): on SQLite, the same rows as a plain `name__icontains` for terms of any
length on tricky names, the FTS table kept right on every write path, the index actually used,
and repaired after Django rebuilds the customer table. The rows-equality test runs on PostgreSQL
too (bigram column and trigram index)."""

import pytest
from django.db import connection
from django.db.models import Q

from powerkam.customers import search_index
from powerkam.customers.filters import search_customers
from powerkam.customers.models import Customer
from tests.factories import CustomerFactory

SQLITE = connection.vendor == "sqlite"
only_sqlite = pytest.mark.skipif(not SQLITE, reason="the FTS5 name index is SQLite only")

NAMES = [
    "城北纺织有限公司", "城南纺织厂", "纺", "A", "Abc化工", "aBC 医院", "ABC", "abc-Def", "X1Y2Z3 科技",
    "100%纯净水厂", "下划_线公司", "医院医院医院", "  空格 医 院", "ß工厂", "SS工厂", "ÄÖ贸易", "äö贸易",
    "O'Brien & Sons", "(北京)电力*设备", "a.b.c", "e\u0301lan", "数字123号", "𠀀生僻字公司", "Ⅸ号线",
]
EXTRA_TERMS = [
    "ab", "AB", "bC", "ABC", "aBc", "abc-d", "C-D", "x1y", "1Y2", "Z3 科", "0%", "%纯", "_线", "划_", "%", "_",
    " 医", "医 ", "院医", "院医院", "ss", "SS", "ß", "ß工", "äö", "ÄÖ", "äÖ", "不在", "城北纺织", "'B", "& S", "(北",
    "电力*", "a.b", ".", "e\u0301", "\u0301l", "𠀀生", "生僻字", "ⅸ号", "Ⅸ号", "纺织厂", "有限公司", "医院医院",
    "医院医院医院医院", "12", "3号",
]


def plain(term):
    term = term.strip()  # as search_customers does
    return set(Customer.objects.filter(Q(name__icontains=term) | Q(number__startswith=term))
               .values_list("pk", flat=True))


def searched(term):
    return set(search_customers(Customer.objects.all(), term).values_list("pk", flat=True))


@pytest.fixture
def named(org_tree):
    return [CustomerFactory(name=name, number=f"39{i:08d}", org_unit=org_tree["s1"]) for i, name in enumerate(NAMES)]


def _terms():
    # Every piece of one to five characters of every name (and its other ASCII case), and the
    # extra terms above.
    terms = set(EXTRA_TERMS)
    for name in NAMES:
        for size in range(1, 6):
            for i in range(len(name) - size + 1):
                piece = name[i:i + size]
                terms.update((piece, piece.swapcase()))
    return sorted(t for t in terms if t.strip())


@pytest.mark.django_db
def test_same_rows_as_a_plain_contains_for_every_piece_of_every_name(named):
    terms = _terms()
    assert len(terms) > 300
    for term in terms:
        assert searched(term) == plain(term), term


@pytest.mark.django_db
def test_customer_numbers_still_found_by_their_prefix(org_tree):
    CustomerFactory(name="甲", number="AB-7001", org_unit=org_tree["s1"])
    CustomerFactory(name="乙", number="ab-7002", org_unit=org_tree["s1"])
    CustomerFactory(name="丙", number="7003", org_unit=org_tree["s1"])
    for term in ("AB", "ab", "aB-70", "AB-7001", "70", "7003", "B-", "甲"):
        assert searched(term) == plain(term), term


def _index_tokens() -> dict[int, set[str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid, grams FROM {search_index.TABLE}")
        return {pk: {t.lower() for t in grams.split()} for pk, grams in cursor.fetchall()}


def _expected_tokens() -> dict[int, set[str]]:
    return {pk: set(search_index.grams(name)) for pk, name in Customer.objects.values_list("pk", "name")}


@only_sqlite
@pytest.mark.django_db
def test_the_index_holds_the_pieces_python_searches_for(named):
    # SQLite's upper() and hex() in the trigger, Python's in match_expression: the same tokens.
    assert _index_tokens() == _expected_tokens()
    assert search_index.grams("aB%") == ["4142", "4225"]
    assert search_index.grams("ä") == []


@only_sqlite
@pytest.mark.django_db
def test_the_index_follows_every_write_path(org_tree):
    one = CustomerFactory(name="旧名字", number="3900000100", org_unit=org_tree["s1"])
    one.name = "新华医院"
    one.save()
    Customer.objects.bulk_create([Customer(name="东方纺织", number="3900000101", org_unit=org_tree["s1"],
                                           contract_capacity_kva=1, operating_capacity_kva=1)])
    two = CustomerFactory(name="某某", number="3900000102", org_unit=org_tree["s1"])
    Customer.objects.filter(pk=two.pk).update(name="西山水泥")
    three = CustomerFactory(name="将删除公司", number="3900000103", org_unit=org_tree["s1"])
    four = CustomerFactory(name="也删除公司", number="3900000104", org_unit=org_tree["s1"])
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE customers_customer SET name = %s WHERE id = {one.pk}", ["南湖医院"])
        cursor.execute(f"DELETE FROM customers_customer WHERE id = {three.pk}")
    Customer.objects.filter(pk=four.pk).delete()
    assert _index_tokens() == _expected_tokens()
    everyone = Customer.objects.all()
    assert list(search_customers(everyone, "医院").values_list("number", flat=True)) == ["3900000100"]
    assert not search_customers(everyone, "新华").exists()
    assert list(search_customers(everyone, "纺织").values_list("number", flat=True)) == ["3900000101"]
    assert list(search_customers(everyone, "西山水泥").values_list("number", flat=True)) == ["3900000102"]
    assert not search_customers(everyone, "某某").exists()
    assert not search_customers(everyone, "删除").exists()


def _plan(term: str) -> str:
    sql, params = search_customers(Customer.objects.only("pk"), term).order_by("number").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@only_sqlite
@pytest.mark.django_db
def test_sqlite_searches_through_the_indexes_not_a_scan(named):
    for term in ("纺织", "纺织有限", "ab"):
        plan = _plan(term)
        assert "MULTI-INDEX OR" in plan, plan
        assert search_index.TABLE in plan, plan
        assert "cust_number_nocase_idx" in plan, plan
        assert "SCAN customers_customer" not in plan, plan
    assert "SCAN customers_customer" in _plan("纺")  # one character: no piece to look up


@only_sqlite
def test_the_positions_cover_the_longest_name():
    assert search_index.MAX_POSITION > Customer._meta.get_field("name").max_length


def _triggers_and_indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'index')")
        return {row[0] for row in cursor.fetchall()} & {*search_index.TRIGGERS, *search_index.INDEXES}


@only_sqlite
@pytest.mark.django_db(transaction=True)
def test_what_a_table_rebuild_drops_is_put_back_after_migrate(org_tree):
    # Django rebuilds a SQLite table for some ALTERs (new table, copy, drop, rename): the new
    # table has none of the raw triggers and indexes. Simulated by dropping them.
    from django.core.management import call_command

    CustomerFactory(name="城北纺织厂", number="3900000200", org_unit=org_tree["s1"])
    everything = {*search_index.TRIGGERS, *search_index.INDEXES}
    assert _triggers_and_indexes() == everything
    with connection.cursor() as cursor:
        for name in search_index.TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
        cursor.execute("DROP INDEX cust_number_nocase_idx")
    # Written while the triggers are gone: not in the index …
    CustomerFactory(name="城南医院", number="3900000201", org_unit=org_tree["s1"])
    assert not search_customers(Customer.objects.all(), "医院").exists()
    call_command("migrate", verbosity=0)  # … until migrate's post_migrate puts everything back
    assert _triggers_and_indexes() == everything
    assert _index_tokens() == _expected_tokens()
    assert searched("医院") == plain("医院") != set()
    assert search_index.ensure(connection) == {"triggers": [], "indexes": []}  # nothing left to do


@only_sqlite
@pytest.mark.django_db(transaction=True)
def test_migration_applies_and_reverses():
    from django.apps import apps
    from django.db.migrations.executor import MigrationExecutor

    operation = MigrationExecutor(connection).loader.get_migration(
        "customers", "0007_search_speed_sqlite_name_grams").operations[0]

    def run(code):
        with connection.schema_editor() as editor:
            code(apps, editor)

    try:
        run(operation.reverse_code)
        assert _triggers_and_indexes() == set()
        assert search_index.ensure(connection) == {}  # no index table: nothing to repair
    finally:
        run(operation.code)
    assert _triggers_and_indexes() == {*search_index.TRIGGERS, *search_index.INDEXES}
