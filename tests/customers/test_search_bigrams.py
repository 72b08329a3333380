"""Two-character name search through the bigram column and index (issue #11, migration
customers 0006): the same rows as a plain `name__icontains`, the column kept right on every
write path, the index used on PostgreSQL, the scope still applied, and the migration reversible."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Q
from django.urls import reverse

from powerkam.core.scoping import visible_customers
from powerkam.customers.filters import name_condition, search_customers
from powerkam.customers.models import Customer
from tests.factories import CustomerFactory

PG = connection.vendor == "postgresql"
NAMES = ["城北纺织有限公司", "城南纺织厂", "纺", "Abc化工", "aBC 医院", "100%纯净水厂", "下划_线公司", "医院医院",
         "  空格 医 院", "ß工厂", "ÄÖ贸易"]
TERMS = ["纺织", "医院", "织厂", "ab", "AB", "bC", "0%", "%纯", "_线", "划_", "空格", " 医", "医 ", "院医", "ss", "ß工",
         "äö", "ÄÖ", "纺", "不在", "城北纺织"]


def plain(term):
    term = term.strip()  # as search_customers does
    return set(Customer.objects.filter(Q(name__icontains=term) | Q(number__startswith=term))
               .values_list("pk", flat=True))


@pytest.fixture
def named(org_tree):
    return [CustomerFactory(name=name, number=f"39{i:08d}", org_unit=org_tree["s1"]) for i, name in enumerate(NAMES)]


@pytest.mark.django_db
def test_same_rows_as_a_plain_contains(named):
    for term in TERMS:
        assert set(search_customers(Customer.objects.all(), term).values_list("pk", flat=True)) == plain(term), term


@pytest.mark.django_db
def test_only_two_character_terms_on_postgresql_use_the_column(named):
    def sql(term):
        return str(Customer.objects.filter(name_condition(Customer.objects.all(), term)).query)

    assert ("name_bigrams" in sql("纺织")) is PG
    assert "name_bigrams" not in sql("纺")
    assert "name_bigrams" not in sql("纺织有限")


@pytest.mark.django_db
def test_the_column_follows_every_write_path(org_tree):
    one = CustomerFactory(name="旧名字", number="3900000100", org_unit=org_tree["s1"])
    one.name = "新华医院"
    one.save()
    Customer.objects.bulk_create([Customer(name="东方纺织", number="3900000101", org_unit=org_tree["s1"],
                                           contract_capacity_kva=1, operating_capacity_kva=1)])
    two = CustomerFactory(name="某某", number="3900000102", org_unit=org_tree["s1"])
    Customer.objects.filter(pk=two.pk).update(name="西山水泥")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE customers_customer SET name = %s WHERE id = {one.pk}", ["南湖医院"])
    everyone = Customer.objects.all()
    assert list(search_customers(everyone, "医院").values_list("number", flat=True)) == ["3900000100"]
    assert not search_customers(everyone, "新华").exists()
    assert list(search_customers(everyone, "纺织").values_list("number", flat=True)) == ["3900000101"]
    assert list(search_customers(everyone, "水泥").values_list("number", flat=True)) == ["3900000102"]
    assert not search_customers(everyone, "某某").exists()


@pytest.mark.django_db
def test_inside_a_subquery_and_with_the_scope(archive, people, named):
    # As a subquery Django renames the customer table (U0 …): the column follows the alias.
    ids = Customer.objects.filter(pk__in=search_customers(Customer.objects.all(), "纺织").values("pk"))
    assert set(ids.values_list("name", flat=True)) == {"城北纺织有限公司", "城南纺织厂", "城北纺织厂"}
    # The scope still applies: m1 sees only the north customers of the archive.
    mine = search_customers(visible_customers(people["m1"]), "纺织")
    assert list(mine.values_list("number", flat=True)) == ["3100000002"]


@pytest.mark.django_db
def test_list_page_and_api_search_by_two_characters(archive, people, login):
    client = login(people["admin"])
    r = client.get(reverse("customers:list"), {"q": "纺织"})
    assert [cu.number for cu in r.context["page"].object_list] == ["3100000002"]
    r = client.get("/api/v1/customers/", {"q": "纺织"})
    assert [row["number"] for row in r.json()["results"]] == ["3100000002"]


@pytest.mark.skipif(not PG, reason="the bigram index is PostgreSQL only")
@pytest.mark.django_db
def test_postgres_uses_the_bigram_index(named):
    with connection.cursor() as cursor:
        # A tiny table: make the planner show the index is usable (a GIN index is read by bitmap
        # scans only; with plain index scans allowed, a full scan of any B-tree may look cheaper).
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
        sql, params = search_customers(Customer.objects.only("pk"), "纺织").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_indexscan")
    assert "cust_name_bigram_idx" in plan


def _columns_and_indexes() -> set[str]:
    with connection.cursor() as cursor:
        names = set(connection.introspection.get_constraints(cursor, "customers_customer"))
        names |= {c.name for c in connection.introspection.get_table_description(cursor, "customers_customer")}
    return names & {"cust_name_bigram_idx", "name_bigrams"}


@pytest.mark.django_db(transaction=True)
def test_migration_applies_and_reverses_on_this_database():
    from django.apps import apps

    expected = {"cust_name_bigram_idx", "name_bigrams"} if PG else set()
    assert _columns_and_indexes() == expected
    operation = MigrationExecutor(connection).loader.get_migration(
        "customers", "0006_speed_http_name_bigrams").operations[0]
    assert operation.reversible

    def run(code):
        with connection.schema_editor() as editor:
            code(apps, editor)

    try:
        run(operation.reverse_code)
        assert _columns_and_indexes() == set()
    finally:
        run(operation.code)
        run(operation.code)  # idempotent
    assert _columns_and_indexes() == expected


@pytest.mark.skipif(not PG, reason="the bigram function exists on PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_the_loop_gives_the_pieces_the_aggregate_gave():
    """customers 0013: the PL/pgSQL loop and 0006's aggregate give the same set of pieces for
    every name (order and repeats aside, which `@>` ignores); the migration reverses."""
    from django.apps import apps

    migration = MigrationExecutor(connection).loader.get_migration("customers", "0013_import_bigrams_plpgsql")
    operation = migration.operations[0]
    values = [*NAMES, "", "a", "医", "医院", "aaaa", "  ", "医院医院医院"]

    def pieces():
        with connection.cursor() as cursor:
            cursor.execute("SELECT v, powerkam_bigrams(UPPER(v)) FROM unnest(%s::text[]) AS v", [values])
            found = dict(cursor.fetchall())
            cursor.execute("SELECT powerkam_bigrams(NULL)")
            assert cursor.fetchone()[0] is None
        return found

    def run(code):
        with connection.schema_editor() as editor:
            code(apps, editor)

    run(operation.code)  # the function as this migration makes it (a test above may have run 0006 again)
    loop = pieces()
    assert loop["医院医院医院"] == ["医院", "院医", "医院", "院医", "医院"]  # in order, repeats kept
    assert loop[""] == loop["a"] == loop["医"] == []
    try:
        run(operation.reverse_code)
        aggregate = pieces()
        assert aggregate["医院医院医院"] == sorted({"医院", "院医"})
    finally:
        run(operation.code)
    assert {v: set(p) for v, p in loop.items()} == {v: set(p) for v, p in aggregate.items()}
    assert pieces() == loop
