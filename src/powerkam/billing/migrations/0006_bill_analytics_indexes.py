"""Two indexes for the analysis pages at 100,000 customers / 2.4 million bills (issue #3
performance; docs/performance-money.md).

- `bill_open_customer_idx`: the open bills by customer, partial (`status = 'open'`), with the
  columns the arrears report reads (PostgreSQL INCLUDE; SQLite builds the partial index without
  them). The arrears GROUP BY customer and its totals read it index-only, in customer order,
  instead of fetching every open bill from the 2.4-million-row heap.
- `bill_customer_period_cover_idx`: (customer, period) with the summed columns, so a key account
  manager's pages (sales volume, unit price, profit, collection rate: a few thousand customers ×
  up to 36 months, read live) scan the index only, without one heap fetch per bill.

Database-only (SeparateDatabaseAndState with no state change): billing.models.Bill.Meta does not
declare them, so `makemigrations` stays clean. Whoever declares them on the model later turns
these operations into `state_operations` of a new migration instead of adding them twice.
"""

from django.db import migrations, models

OPEN_BILLS = models.Index(
    fields=["customer"], include=["id", "total", "paid_amount", "due_on", "period"],
    condition=models.Q(status="open"), name="bill_open_customer_idx",
)
CUSTOMER_PERIOD_COVERING = models.Index(
    fields=["customer", "period"],
    include=["id", "status", "kwh", "total", "energy_charge", "basic_charge", "pf_adjustment", "surcharges",
             "paid_amount", "due_on"],
    name="bill_customer_period_cover_idx",
)


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0005_bill_bill_due_idx"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AddIndex(model_name="bill", index=OPEN_BILLS),
                migrations.AddIndex(model_name="bill", index=CUSTOMER_PERIOD_COVERING),
            ],
            state_operations=[],
        ),
    ]
