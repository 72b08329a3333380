"""The server warm-up (core/warmup.py) compiles every template and imports every view without
touching the database."""

from django.template import engines

from powerkam.core.warmup import _template_names, warm_up


def test_warm_up_compiles_the_templates_without_the_database(db, django_assert_num_queries):
    names = _template_names(engines["django"].engine)
    assert "base.html" in names and "core/queue.html" in names
    with django_assert_num_queries(0):
        done = warm_up()
    assert done["templates"] >= len(names) * 0.9
