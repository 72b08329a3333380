#!/usr/bin/env python
"""Money benchmark at production scale (issue #3): billing run, receivables ladder, arrears and
sales-volume pages over 100,000 customers with 24 months of bills (2.4 million) and payments.

    python bench/run_money.py --database postgres          # 100,000 customers, 2.4 M bills
    python bench/run_money.py --database sqlite

Builds a fresh database (PostgreSQL `powerkam_bench_money`, dropped and recreated, or SQLite
under bench/out/var-money-sqlite/), migrates it, loads the archive demo (customers only,
`load_demo(scale=N, evaluate=False)`), the billing demo's tariff catalogue
(`powerkam.billing.demo.load_catalogue`), then writes in bulk, set-based, bypassing the ORM and
simple-history (a per-customer plan in a temporary table, then INSERT … SELECT in the database
with random() for the monthly variation; the rest by COPY on PostgreSQL, executemany on SQLite):

- 24 months of bills for every customer with a catalogue tariff (the 24 months before the month
  to be billed), with billing cycles spread over the month (issued on day 1–25 of the following
  month, due 15 days later); amounts from a per-customer load (kWh × a price level, split into
  energy / basic / PF / surcharges). No bill lines for these historical bills: no measured page
  reads BillLine (the analytics pages read only billing_bill and the customer), the ladder
  neither;
- one payment and one allocation for every paid bill (~95 %), channels weighted like the
  receivables demo; ~5 % of the customers keep their last 1–12 due bills open (arrears at
  various ages), a third of them with the oldest open bill partly paid;
- the ladder steps those arrears bills reached before the measured day (LadderStep rows, as if
  the nightly job had run every day), so the measured day is a normal day, not a first-ever
  catch-up;
- meter readings of the month to bill for every customer.

Then measures, each phase in its own process (load average recorded at each phase's start):

1. `powerkam.billing.services.run_billing(month)` for the 100,000 readings (bills, lines,
   history rows, timeline events) — target under 2 minutes; and a second run (skips all);
2. `powerkam.receivables.ladder.run_ladder(today)` — target under 60 s; and a second run
   (idempotent: writes nothing);
3. /analytics/arrears/ (ageing buckets, sorts, pages) and 4. /analytics/sales-volume/ (12 and
   24 months) with Django's test Client as the company supervisor (supervisor1) and a key
   account manager (manager1): p50/p95 over --repeat requests and the SQL query count —
   target p95 under 300 ms; also this process's CPU ms per request and the analytics index page
   (no query over bills) as the floor of this machine. Before the pages the web phase applies
   migrations that landed after the load and runs the nightly job the pages read (the analytics
   monthly-sales summary, when registered), timed. Pages are measured after the billing run, so
   the month just billed (100,000 bills, not yet paid) is in the arrears — the heaviest day of
   the month for that page.

Prints a table and writes JSON to bench/out/ (after each phase, so a partial run keeps its
figures). `--reuse --phases billing,ladder,web` re-measures; `--phases money,…` with --reuse
regenerates the money data after a failed load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_foundation import (  # noqa: E402
    OUT,
    RESULT_MARK,
    ROOT,
    _measure,
    peak_rss_mb,
    run_in_process,
    setup_django,
)
from run_foundation import fresh_database as _fresh_database  # noqa: E402

PG_MONEY_URL = "postgres://postgres@127.0.0.1:5432/powerkam_bench_money"
TARGET_MS = 300
TARGET_BILLING_S = 120
TARGET_LADDER_S = 60
MONTHS = 24
BATCH = 10_000
# Payment channels (as the receivables demo weighs them): withholding 35 %, bank transfer 30 %, online 20 %,
# counter 12 %, other 3 % — written by the CASE on the bill id in the payments INSERT.
ARREARS_SHARE = 0.05
ARREARS_TAIL = (1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 6, 9, 12)  # open bills of a customer in arrears
# Price level (yuan/kWh, all-in) by tariff prefix; shares of the total by component.
PRICE = {"DGY": 0.78, "GSY": 0.82, "NY": 0.52, "JM": 0.56}


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m + 1, 1)


def months_setup():
    """(month to bill, the 24 history months oldest first, the measured day)."""
    from django.utils import timezone

    today = timezone.localdate()
    run_month = add_months(today.replace(day=1), -1)
    history = [add_months(run_month, -i) for i in range(MONTHS, 0, -1)]
    return run_month, history, today


# ---------------------------------------------------------------------------------------------
# Bulk writer: COPY on PostgreSQL, executemany on SQLite
# ---------------------------------------------------------------------------------------------


class Writer:
    def __init__(self, table: str, columns: tuple[str, ...]):
        from django.db import connection

        self.connection = connection
        self.table, self.columns = table, columns
        self.rows: list[tuple] = []
        self.count = 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH * 5:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        qn = self.connection.ops.quote_name
        cols = ", ".join(qn(c) for c in self.columns)
        with self.connection.cursor() as cur:
            if self.connection.vendor == "postgresql":
                text = "".join("\t".join(r"\N" if v is None else str(v) for v in row) + "\n" for row in self.rows)
                with cur.cursor.copy(f"COPY {qn(self.table)} ({cols}) FROM STDIN") as copy:
                    copy.write(text)
            else:
                sql = f"INSERT INTO {qn(self.table)} ({cols}) VALUES ({', '.join(['%s'] * len(self.columns))})"
                for i in range(0, len(self.rows), BATCH):
                    cur.executemany(sql, self.rows[i:i + BATCH])
        self.count += len(self.rows)
        self.rows = []


STEP_COLS = ("bill_id", "customer_id", "step", "reached_on", "due_on", "created_at")
READING_COLS = ("customer_id", "period", "kwh_sharp", "kwh_peak", "kwh_flat", "kwh_valley", "kwh_total", "kvarh",
                "max_demand_kw", "declared_demand_kw", "created_at")


def generate_money(seed: int, log=print) -> dict:
    from django.db import connection

    if connection.vendor == "postgresql":
        return generate_money_pg(seed, log)
    return generate_money_pg(seed, log, sqlite=True)  # the same SQL in SQLite's dialect


def _customer_plan(rng: random.Random, customers, tou: dict) -> list[tuple]:
    """Per customer: (pk, number, tariff code, prefix, base kWh/month, price level, power factor,
    billing-cycle day, open tail (bills left unpaid), late payer)."""
    plan = []
    for pk, number, _name, code, cap, usage, _method in customers:
        if code not in tou:
            continue
        prefix = code.split("-")[0]
        capf = float(cap or 0) or rng.choice((8.0, 10.0, 16.0))
        base = capf * rng.uniform(0.12, 0.42) * 730 if usage != "residential" else rng.uniform(150, 600)
        price = PRICE.get(prefix, 0.7) * rng.uniform(0.95, 1.05)
        arrears = rng.random() < ARREARS_SHARE
        plan.append((pk, number, code, prefix, round(base, 2), round(price, 4), round(rng.uniform(0.82, 0.99), 2),
                     1 + pk % 25, rng.choice(ARREARS_TAIL) if arrears else 0, rng.random() < 0.15, capf))
    return plan


def generate_money_pg(seed: int, log=print, sqlite: bool = False) -> dict:
    """The per-customer plan and the months in two temporary tables, then bills, payments and
    allocations by INSERT … SELECT in the database (random() for the monthly variation), ladder
    steps and readings from Python (COPY on PostgreSQL, executemany on SQLite)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from powerkam.billing.models import Bill, Tariff
    from powerkam.customers.models import Customer
    from powerkam.receivables.models import Payment, PaymentAllocation

    run_month, history, today = months_setup()
    rng = random.Random(seed * 7727 + 5)
    now = timezone.now().isoformat() if not sqlite else connection.ops.adapt_datetimefield_value(timezone.now())
    tou = dict(Tariff.objects.values_list("code", "is_tou"))
    customers = list(Customer.objects.order_by("pk").values_list(
        "pk", "number", "name", "tariff_code", "contract_capacity_kva", "usage_category", "basic_charge_method"))
    plan = _customer_plan(rng, customers, tou)
    bill_t, pay_t, alloc_t = Bill._meta.db_table, Payment._meta.db_table, PaymentAllocation._meta.db_table
    cust_t = Customer._meta.db_table
    timings = {}
    if sqlite:
        with transaction.atomic(), connection.cursor() as cur:
            _sqlite_money(cur, plan, history, today, now, bill_t, pay_t, alloc_t, cust_t, timings, log)
    else:
        _pg_money(plan, history, today, bill_t, pay_t, alloc_t, cust_t, timings, log, seed)
    return _after_money(plan, customers, history, run_month, today, now, tou, rng, timings)


def _pg_money(plan, history, today, bill_t, pay_t, alloc_t, cust_t, timings, log, seed) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        cur.execute("CREATE TEMP TABLE bench_cust (id int, number text, code text, prefix text, base float8, "
                    "price float8, pf numeric(4,2), cycle int, tail int, late bool) ON COMMIT DROP")
        cur.execute("CREATE TEMP TABLE bench_month (i int, period date, season float8) ON COMMIT DROP")
        with cur.cursor.copy("COPY bench_cust FROM STDIN") as copy:
            copy.write("".join("\t".join(str(v) for v in row[:10]) + "\n" for row in plan))
        with cur.cursor.copy("COPY bench_month FROM STDIN") as copy:
            copy.write("".join(f"{i}\t{m}\t{1 - 0.18 * ((m.month - 7.5) / 6) ** 2}\n" for i, m in enumerate(history)))
        started = time.perf_counter()
        cur.execute(f"""
            WITH x AS (
              SELECT c.id AS cid, c.number, c.code, c.prefix, m.i, m.period, c.pf, c.tail, c.late,
                     ((m.period + interval '1 month')::date + (c.cycle - 1)) AS issued,
                     GREATEST(10, round(c.base * m.season * (0.9 + 0.2 * random())))::bigint AS kwh, c.price
              FROM bench_cust c CROSS JOIN bench_month m
            ), y AS (
              SELECT x.*, GREATEST(100, floor(kwh * price * 100))::bigint AS tc, (i >= {MONTHS} - tail) AS is_open,
                     (i = {MONTHS} - tail AND random() < 0.35) AS partial,
                     CASE WHEN late AND random() < 0.3 THEN 1 + floor(random() * 20)::int
                          ELSE -(ARRAY[0, 0, 1, 2, 3, 5, 7, 10])[1 + floor(random() * 8)::int] END AS pay_offset
              FROM x
            )
            INSERT INTO {bill_t} (customer_id, number, period, issued_on, due_on, tariff_code, kwh, kvarh,
                max_demand_kw, power_factor, pf_adjustment_rate, energy_charge, basic_charge, pf_adjustment,
                surcharges, total, paid_amount, paid_on, status, source, created_at)
            SELECT cid, 'B' || to_char(period, 'YYYYMM') || '-' || number, period, issued, issued + 15, code, kwh,
                   round(kwh * 0.4), NULL, pf, 0,
                   (tc * 80 / 100) / 100.0,
                   CASE WHEN prefix = 'DGY' THEN (tc * 12 / 100) / 100.0 ELSE 0 END,
                   (tc - tc * 80 / 100 - CASE WHEN prefix = 'DGY' THEN tc * 12 / 100 ELSE 0 END - tc * 3 / 100) / 100.0,
                   (tc * 3 / 100) / 100.0, tc / 100.0,
                   CASE WHEN NOT is_open THEN tc / 100.0 WHEN partial THEN floor(tc * (0.3 + 0.5 * random())) / 100.0
                        ELSE 0 END,
                   CASE WHEN is_open THEN NULL ELSE GREATEST(issued, LEAST(issued + 15 + pay_offset, %s::date)) END,
                   CASE WHEN is_open THEN 'open' ELSE 'paid' END, 'import', now()
            FROM y ORDER BY cid, period""", [today])
        timings["bills_s"] = round(time.perf_counter() - started, 1)
        log(f"  bills {timings['bills_s']} s")
        started = time.perf_counter()
        cur.execute(f"""
            INSERT INTO {pay_t} (id, number, customer_id, channel, amount, received_on, reference, payer, is_advance,
                allocated_amount, refunded_amount, status, note, reversal_reason, created_at)
            SELECT b.id, 'BP' || lpad(b.id::text, 9, '0'), b.customer_id,
                   CASE WHEN (b.id * 37) %% 100 < 35 THEN 'withholding' WHEN (b.id * 37) %% 100 < 65 THEN 'bank_transfer'
                        WHEN (b.id * 37) %% 100 < 85 THEN 'online' WHEN (b.id * 37) %% 100 < 97 THEN 'counter'
                        ELSE 'other' END,
                   b.paid_amount, COALESCE(b.paid_on, LEAST(b.due_on + 1 + (b.id %% 10)::int, %s::date)),
                   (100000000000 + (b.id * 7919) %% 900000000000)::text, left(c.name, 100), false, b.paid_amount, 0,
                   'posted', '', '', now()
            FROM {bill_t} b JOIN {cust_t} c ON c.id = b.customer_id WHERE b.paid_amount > 0 ORDER BY b.id""", [today])
        timings["payments_s"] = round(time.perf_counter() - started, 1)
        log(f"  payments {timings['payments_s']} s")
        started = time.perf_counter()
        cur.execute(f"INSERT INTO {alloc_t} (id, payment_id, bill_id, amount, received_on, is_reversed, created_at) "
                    f"SELECT id, id, id, amount, received_on, false, now() FROM {pay_t} ORDER BY id")
        timings["allocations_s"] = round(time.perf_counter() - started, 1)
        for t in (bill_t, pay_t, alloc_t):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))")


R = "((random() & 1048575) / 1048576.0)"  # SQLite: uniform in [0, 1)


def _sqlite_money(cur, plan, history, today, now, bill_t, pay_t, alloc_t, cust_t, timings, log) -> None:
    """The same INSERT … SELECTs in SQLite's dialect (no parameters: literals are ours)."""
    cur.execute("CREATE TEMP TABLE bench_cust (id int, number text, code text, prefix text, base real, "
                "price real, pf real, cycle int, tail int, late int)")
    cur.execute("CREATE TEMP TABLE bench_month (i int, period text, season real)")
    cur.executemany("INSERT INTO bench_cust VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [(*row[:9], int(row[9])) for row in plan])
    cur.executemany("INSERT INTO bench_month VALUES (%s, %s, %s)",
                    [(i, m.isoformat(), 1 - 0.18 * ((m.month - 7.5) / 6) ** 2) for i, m in enumerate(history)])
    started = time.perf_counter()
    cur.execute(f"""
        WITH x AS (
          SELECT c.id AS cid, c.number, c.code, c.prefix, m.i, m.period, c.pf, c.tail, c.late,
                 date(m.period, '+1 month', '+' || (c.cycle - 1) || ' days') AS issued,
                 max(10, CAST(round(c.base * m.season * (0.9 + 0.2 * {R})) AS INTEGER)) AS kwh, c.price
          FROM bench_cust c CROSS JOIN bench_month m
        ), y AS (
          SELECT x.*, max(100, CAST(kwh * price * 100 AS INTEGER)) AS tc, (i >= {MONTHS} - tail) AS is_open,
                 (i = {MONTHS} - tail AND {R} < 0.35) AS partial,
                 CASE WHEN late AND {R} < 0.3 THEN 1 + CAST({R} * 20 AS INTEGER)
                      ELSE -(CASE CAST({R} * 8 AS INTEGER) WHEN 2 THEN 1 WHEN 3 THEN 2 WHEN 4 THEN 3 WHEN 5 THEN 5
                             WHEN 6 THEN 7 WHEN 7 THEN 10 ELSE 0 END) END AS pay_offset
          FROM x
        )
        INSERT INTO {bill_t} (customer_id, number, period, issued_on, due_on, tariff_code, kwh, kvarh,
            max_demand_kw, power_factor, pf_adjustment_rate, energy_charge, basic_charge, pf_adjustment,
            surcharges, total, paid_amount, paid_on, status, source, created_at)
        SELECT cid, 'B' || strftime('%Y%m', period) || '-' || number, period, issued, date(issued, '+15 days'), code,
               kwh, round(kwh * 0.4), NULL, pf, 0,
               (tc * 80 / 100) / 100.0,
               CASE WHEN prefix = 'DGY' THEN (tc * 12 / 100) / 100.0 ELSE 0 END,
               (tc - tc * 80 / 100 - CASE WHEN prefix = 'DGY' THEN tc * 12 / 100 ELSE 0 END - tc * 3 / 100) / 100.0,
               (tc * 3 / 100) / 100.0, tc / 100.0,
               CASE WHEN NOT is_open THEN tc / 100.0 WHEN partial THEN CAST(tc * (0.3 + 0.5 * {R}) AS INTEGER) / 100.0
                    ELSE 0 END,
               CASE WHEN is_open THEN NULL
                    ELSE max(issued, min(date(issued, '+' || (15 + pay_offset) || ' days'), '{today}')) END,
               CASE WHEN is_open THEN 'open' ELSE 'paid' END, 'import', '{now}'
        FROM y ORDER BY cid, period""")
    timings["bills_s"] = round(time.perf_counter() - started, 1)
    log(f"  bills {timings['bills_s']} s")
    started = time.perf_counter()
    cur.execute(f"""
        INSERT INTO {pay_t} (id, number, customer_id, channel, amount, received_on, reference, payer, is_advance,
            allocated_amount, refunded_amount, status, note, reversal_reason, created_at)
        SELECT b.id, 'BP' || printf('%09d', b.id), b.customer_id,
               CASE WHEN (b.id * 37) % 100 < 35 THEN 'withholding' WHEN (b.id * 37) % 100 < 65 THEN 'bank_transfer'
                    WHEN (b.id * 37) % 100 < 85 THEN 'online' WHEN (b.id * 37) % 100 < 97 THEN 'counter'
                    ELSE 'other' END,
               b.paid_amount, COALESCE(b.paid_on, min(date(b.due_on, '+' || (1 + b.id % 10) || ' days'), '{today}')),
               CAST(100000000000 + (b.id * 7919) % 900000000000 AS TEXT), substr(c.name, 1, 100), 0, b.paid_amount, 0,
               'posted', '', '', '{now}'
        FROM {bill_t} b JOIN {cust_t} c ON c.id = b.customer_id WHERE b.paid_amount > 0 ORDER BY b.id""")
    timings["payments_s"] = round(time.perf_counter() - started, 1)
    log(f"  payments {timings['payments_s']} s")
    started = time.perf_counter()
    cur.execute(f"INSERT INTO {alloc_t} (id, payment_id, bill_id, amount, received_on, is_reversed, created_at) "
                f"SELECT id, id, id, amount, received_on, 0, '{now}' FROM {pay_t} ORDER BY id")
    timings["allocations_s"] = round(time.perf_counter() - started, 1)


def _after_money(plan, customers, history, run_month, today, now, tou, rng, timings) -> dict:
    from powerkam.billing.models import Bill, MeterReading
    from powerkam.receivables import constants as rc
    from powerkam.receivables.ladder import steps_due
    from powerkam.receivables.models import LadderStep, Payment, PaymentAllocation

    # Earlier ladder steps of the open bills, and the readings of the month to bill.
    started = time.perf_counter()
    steps = Writer(LadderStep._meta.db_table, STEP_COLS)
    yesterday = today - timedelta(days=1)
    for pk, cid, due in Bill.objects.filter(status="open").values_list("pk", "customer_id", "due_on").iterator(5000):
        for step in steps_due(due, yesterday):
            steps.add((pk, cid, step, due + timedelta(days=rc.LADDER_OFFSETS[step]), due, now))
    steps.flush()
    readings = Writer(MeterReading._meta.db_table, READING_COLS)
    for pk, _number, code, _prefix, base, _price, _pf, _cycle, _tail, _late, capf in plan:
        readings.add(_reading(rng, pk, run_month, base, capf, tou[code], now))
    readings.flush()
    timings["steps_readings_s"] = round(time.perf_counter() - started, 1)
    open_bills = Bill.objects.filter(status="open")
    return {"bills": Bill.objects.count(), "payments": Payment.objects.count(),
            "allocations": PaymentAllocation.objects.count(), "open_bills": open_bills.count(),
            "partly_paid": open_bills.filter(paid_amount__gt=0).count(),
            "customers_billed": len(plan), "customers_without_tariff": len(customers) - len(plan),
            "customers_in_arrears": sum(1 for row in plan if row[8]), "ladder_steps_before": steps.count,
            "readings": readings.count, "run_month": run_month, "history": [history[0], history[-1]],
            "today": today, "timings": timings}


def _reading(rng: random.Random, pk: int, run_month: date, base: float, capf: float, is_tou: bool, now) -> tuple:
    kwh = base * rng.uniform(0.9, 1.1)
    demand = min(capf, kwh / 730 / 0.6)
    if is_tou:
        parts, total_kwh = [f"{round(kwh * s)}.00" for s in (0.0, 0.32, 0.36, 0.32)], None
    else:
        parts, total_kwh = ["0.00"] * 4, f"{round(kwh)}.00"
    return (pk, run_month, *parts, total_kwh, f"{round(kwh * 0.45)}.00", f"{demand:.2f}",
            f"{max(0.4 * capf, demand):.0f}.00", now)


# ---------------------------------------------------------------------------------------------
# Phases
# ---------------------------------------------------------------------------------------------


def phase_load(args) -> dict:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from powerkam.billing.demo import load_catalogue
    from powerkam.customers.demo import load_demo

    timings = {"loadavg_start": loadavg()}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings["migrate_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    counts = load_demo(scale=args.customers, seed=args.seed, evaluate=False)
    timings["customers_s"] = round(time.perf_counter() - started, 1)
    counts["tariffs"] = load_catalogue()
    started = time.perf_counter()
    counts["money"] = generate_money(args.seed, log=lambda m: print(m, file=sys.stderr, flush=True))
    timings["money_s"] = round(time.perf_counter() - started, 1)
    timings["money_rows_s"] = round(sum(counts["money"][k] for k in ("bills", "payments", "allocations", "readings"))
                                    / max(timings["money_s"], 0.1))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    timings["analyze_s"] = round(time.perf_counter() - started, 1)
    timings["loadavg_end"] = loadavg()
    return {"timings": timings, "counts": counts, "peak_rss_mb": round(peak_rss_mb(), 1)}


def phase_money(args) -> dict:
    """Only the money data, on a database that already has the customers (after a failed load:
    `--reuse --phases money,billing,ladder,web`)."""
    setup_django()
    from django.db import connection

    started = time.perf_counter()
    money = generate_money(args.seed, log=lambda m: print(m, file=sys.stderr, flush=True))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"timings": {"money_s": round(time.perf_counter() - started, 1), "loadavg_end": loadavg()},
            "counts": {"money": money}, "peak_rss_mb": round(peak_rss_mb(), 1)}


def _counting():
    """SQL statements through Django's execute wrappers (an executemany counts once; COPY, which the
    billing run uses on PostgreSQL for bills, lines and timeline events, is not seen)."""
    from django.db import connection

    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    return count, connection.execute_wrapper(counter)


def unbill_month(run_month: date) -> dict:
    """`--rebill`: delete what an earlier billing run wrote for the month — its bills (source "run")
    that nothing else holds yet (no payment allocation, extension, late fee, written notice,
    bad-credit record or blacklist entry), with their lines, ladder steps, history rows and
    "bill.issued" timeline events — so the billing phase measures a first run again on a reused
    database. Bills something holds are kept (their customers are then skipped by the run)."""
    from django.db import connection, transaction

    from powerkam.billing.models import Bill, BillLine
    from powerkam.customers.models import TimelineEvent
    from powerkam.receivables import models as rm

    qn = connection.ops.quote_name
    bill_t = qn(Bill._meta.db_table)
    holders = [(rel.related_model._meta.db_table, rel.field.column) for rel in Bill._meta.related_objects
               if rel.related_model not in (BillLine, rm.LadderStep)]
    held = " ".join(f"AND NOT EXISTS (SELECT 1 FROM {qn(table)} h WHERE h.{qn(column)} = b.id)"
                    for table, column in holders)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_unbill")
        cur.execute(f"CREATE TEMP TABLE bench_unbill AS SELECT b.id, b.customer_id, b.number FROM {bill_t} b "
                    f"WHERE b.period = %s AND b.source = %s {held}", [run_month, Bill.Source.RUN.value])
        cur.execute("SELECT COUNT(*) FROM bench_unbill")
        deleted = cur.fetchone()[0]
        cur.execute(f"DELETE FROM {qn(TimelineEvent._meta.db_table)} WHERE kind = %s AND EXISTS (SELECT 1 FROM "
                    f"bench_unbill u WHERE u.customer_id = {qn(TimelineEvent._meta.db_table)}.customer_id AND "
                    f"{qn(TimelineEvent._meta.db_table)}.title LIKE '%%' || u.number || '%%')", ["bill.issued"])
        events = cur.rowcount
        for table, column in ((BillLine._meta.db_table, "bill_id"), (rm.LadderStep._meta.db_table, "bill_id"),
                              (Bill.history.model._meta.db_table, "id"), (Bill._meta.db_table, "id")):
            cur.execute(f"DELETE FROM {qn(table)} WHERE {qn(column)} IN (SELECT id FROM bench_unbill)")
        cur.execute("DROP TABLE bench_unbill")
    kept = Bill.objects.filter(period=run_month, source=Bill.Source.RUN).count()
    if connection.vendor == "postgresql":  # no dead rows in the way of the measured run
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE " + ", ".join(qn(m._meta.db_table) for m in (
                Bill, BillLine, Bill.history.model, TimelineEvent)))
    return {"bills_deleted": deleted, "timeline_events_deleted": events, "run_bills_kept": kept,
            "seconds": round(time.perf_counter() - started, 1)}


def phase_billing(args) -> dict:
    setup_django()
    from powerkam.billing.models import Bill, BillLine
    from powerkam.billing.services import run_billing

    run_month, _history, _today = months_setup()
    out = {"period": run_month}
    if args.rebill:
        out["rebill"] = unbill_month(run_month)
    out["loadavg_start"] = loadavg()
    lines_before = BillLine.objects.count()
    count, wrapper = _counting()
    started, cpu = time.perf_counter(), time.process_time()
    with wrapper:
        run = run_billing(run_month)
    out["first"] = {"seconds": round(time.perf_counter() - started, 1), "cpu_s": round(time.process_time() - cpu, 2),
                    "queries": count[0], "total": run.total,
                    "created": run.created, "skipped": run.skipped, "errors": len(run.errors),
                    "error_sample": run.errors[:3], "status": run.status}
    out["lines_written"] = BillLine.objects.count() - lines_before
    out["bills_in_month"] = Bill.objects.filter(period=run_month).count()
    count, wrapper = _counting()
    started, cpu = time.perf_counter(), time.process_time()
    with wrapper:
        again = run_billing(run_month)
    out["second"] = {"seconds": round(time.perf_counter() - started, 2), "cpu_s": round(time.process_time() - cpu, 2),
                     "queries": count[0], "created": again.created, "skipped": again.skipped}
    out["loadavg_end"] = loadavg()
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    from django.db import connection

    with connection.cursor() as cursor:  # fresh statistics for the pages after 100,000 new bills
        cursor.execute("ANALYZE")
    return out


def phase_ladder(args) -> dict:
    setup_django()
    from powerkam.receivables.ladder import run_ladder

    _run_month, _history, today = months_setup()
    out = {"loadavg_start": loadavg(), "day": today}
    for key in ("first", "second"):
        count, wrapper = _counting()
        started, cpu = time.perf_counter(), time.process_time()
        with wrapper:
            result = run_ladder(today)
        out[key] = {"seconds": round(time.perf_counter() - started, 1), "cpu_s": round(time.process_time() - cpu, 1),
                    "queries": count[0], **result}
    out["loadavg_end"] = loadavg()
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out


def phase_nightly(args) -> dict:
    setup_django()
    return _nightly()


def _nightly() -> dict:
    """Before the pages (run by the web phase): apply migrations that landed since the load (the analytics and billing
    owners may still be adding indexes or summary tables), then the nightly jobs the measured
    pages depend on, as the scheduler would run them after the billing run — today the
    analytics monthly-sales summary when that job is registered. Each timed."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from powerkam.core import jobs

    out: dict = {"loadavg_start": loadavg()}
    executor = MigrationExecutor(connection)
    pending = [f"{m.app_label}.{m.name}" for m, _b in executor.migration_plan(executor.loader.graph.leaf_nodes())]
    started = time.perf_counter()
    if pending:
        call_command("migrate", verbosity=0)
    out["migrations_applied"] = pending
    out["migrate_s"] = round(time.perf_counter() - started, 1)
    _run_month, _history, today = months_setup()
    for name in ("analytics_monthly_sales",):
        if name in jobs.JOBS:
            started = time.perf_counter()
            result = jobs.JOBS[name].func(today)
            out[name] = {"seconds": round(time.perf_counter() - started, 1), **(result or {})}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    out["loadavg_end"] = loadavg()
    return out


def _measure_cpu(client, urls: list[str]) -> dict:
    """run_foundation._measure (wall-clock p50/p95, query count) plus this process's CPU time per
    request (Django + driver, not the database server): on a machine with a load average of 10
    on 2 cores the wall clock is mostly waiting for a CPU, the CPU time is what the page costs."""
    started = time.process_time()
    result = _measure(client, urls)
    result["cpu_ms"] = round((time.process_time() - started) * 1000 / (len(urls) + 4), 1)  # + 3 warm-ups + 1 counted
    return result


def phase_web(args) -> dict:
    setup_django()
    from django.test import Client

    from powerkam.billing.models import Bill
    from powerkam.core.scoping import visible_customers
    from powerkam.org.models import Staff

    results: dict = {"nightly": _nightly()}
    run_month, history, _today = months_setup()
    n = args.repeat
    results["loadavg_start"] = loadavg()
    users = {"supervisor": Staff.objects.get(username="supervisor1"), "manager": Staff.objects.get(username="manager1")}
    y12 = f"?from_month={add_months(run_month, -11):%Y-%m}&to_month={run_month:%Y-%m}"
    y24 = f"?from_month={add_months(run_month, -23):%Y-%m}&to_month={run_month:%Y-%m}"
    for label, user in users.items():
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        visible = visible_customers(user)
        open_bills = Bill.objects.filter(status="open", customer__in=visible)
        r = {"visible_customers": visible.count(), "open_bills": open_bills.count(),
             "arrears_customers": open_bills.values("customer_id").distinct().count()}
        pages = max(1, (r["arrears_customers"] + 49) // 50)
        page_list = [p for p in (1, 2, 10, 100, 1000) if p <= pages] or [1]
        if label == "supervisor":  # the floor: the analytics index page (no query over bills)
            r["index_floor"] = _measure_cpu(client, ["/analytics/"] * n)
        r["arrears"] = _measure_cpu(client, [f"/analytics/arrears/?page={page_list[i % len(page_list)]}" for i in range(n)])
        sorts = ["oldest_due", "-d91_180", "name", "-outstanding", "-d1_30"]
        r["arrears_sorted"] = _measure_cpu(client, [f"/analytics/arrears/?sort={sorts[i % len(sorts)]}" for i in range(n)])
        r["sales_volume"] = _measure_cpu(client, ["/analytics/sales-volume/"] * n)
        r["sales_volume_24m"] = _measure_cpu(client, [f"/analytics/sales-volume/{(y12, y24)[i % 2]}" for i in range(n)])
        results[label] = r
    results["loadavg_end"] = loadavg()
    results["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return results


PHASES = {"load": phase_load, "money": phase_money, "billing": phase_billing, "ladder": phase_ladder, "nightly": phase_nightly,
          "web": phase_web}  # web runs the nightly preparation itself


def print_table(report: dict) -> None:
    print(f"\nPowerKAM money benchmark — {report['database']}, {report['customers']:,} customers ({report['when']}, "
          f"{report['cpus']} CPUs, load average at start {report['loadavg_start']})")
    load = report.get("load") or report.get("money") or {}
    if "timings" in load:
        m = load["counts"]["money"]
        print(f"load: {load['timings']}")
        print(f"data: {m['bills']:,} bills, {m['payments']:,} payments, {m['allocations']:,} allocations, "
              f"{m['open_bills']:,} open bills of {m['customers_in_arrears']:,} customers in arrears, "
              f"{m['ladder_steps_before']:,} earlier ladder steps, {m['readings']:,} readings for {m['run_month']}")
    elif load.get("failed"):
        print("load phase failed")
    b = report.get("billing", {})
    if "first" in b:
        f = b["first"]
        ok = "ok" if f["seconds"] < TARGET_BILLING_S else "MISSED"
        if b.get("rebill"):
            print(f"\n--rebill: {b['rebill']}")
        print(f"\nbilling run {b['period']}: {f['seconds']} s (CPU {f['cpu_s']} s) for {f['total']:,} readings (created "
              f"{f['created']:,}, errors {f['errors']}, {b['lines_written']:,} lines, {f['queries']:,} queries without "
              f"COPY) target {TARGET_BILLING_S} s {ok}; second run {b['second']['seconds']} s (CPU "
              f"{b['second'].get('cpu_s', '–')} s, created {b['second']['created']}, skipped "
              f"{b['second']['skipped']:,}); load avg {b['loadavg_start']}")
    lad = report.get("ladder", {})
    if "first" in lad:
        f = lad["first"]
        ok = "ok" if f["seconds"] < TARGET_LADDER_S else "MISSED"
        print(f"ladder {lad['day']}: {f['seconds']} s, {f['queries']:,} queries, steps {f.get('steps', 0)}, "
              f"bills {f.get('bills', 0)}, tasks {f.get('tasks', 0)}, notices {f.get('notices', 0)}, "
              f"blacklisted {f.get('blacklisted', 0)} — target {TARGET_LADDER_S} s {ok}; second run "
              f"{lad['second']['seconds']} s, steps {lad['second'].get('steps', 0)}; load avg {lad['loadavg_start']}")
    nightly = report.get("nightly") or report.get("web", {}).get("nightly")
    if nightly:
        print(f"nightly before the pages: {json.dumps(nightly, default=str)}")
    web = report.get("web", {})
    if web.get("failed"):
        print("web phase failed")
    elif web:
        print(f"\n{'page':<20}{'scope':<12}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'cpu ms':>8}{'queries':>9}"
              f"{'target p95':>12}")
        for scope in ("supervisor", "manager"):
            r = web.get(scope, {})
            for key in ("index_floor", "arrears", "arrears_sorted", "sales_volume", "sales_volume_24m"):
                m = r.get(key)
                if m:
                    ok = "ok" if m["p95"] < TARGET_MS else "MISSED"
                    print(f"{key:<20}{scope:<12}{m['p50']:>9.1f}{m['p95']:>9.1f}{m['max']:>9.1f}{m.get('cpu_ms', 0):>8.1f}"
                          f"{m['queries']:>9}"
                          f"{TARGET_MS:>9} {ok}")
        for scope in ("supervisor", "manager"):
            r = web.get(scope, {})
            print(f"{scope}: {r.get('visible_customers', 0):,} customers visible, {r.get('open_bills', 0):,} open bills "
                  f"of {r.get('arrears_customers', 0):,} customers")
        print(f"load average during web phase: {web['loadavg_start']} → {web['loadavg_end']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--database-url", help=f"PostgreSQL URL (default {PG_MONEY_URL}); the database is dropped!")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=30, help="requests per measure")
    parser.add_argument("--phases", default="load,billing,ladder,web", help="comma-separated phases to run")
    parser.add_argument("--reuse", action="store_true", help="keep the database and skip loading (re-measure)")
    parser.add_argument("--rebill", action="store_true",
                        help="billing phase: first delete the month's bills an earlier run wrote (see unbill_month)")
    parser.add_argument("--phase", choices=tuple(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        result = PHASES[args.phase](args)
        print(RESULT_MARK + json.dumps(result, ensure_ascii=False, default=str), flush=True)
        return
    if args.database == "postgres" and not args.database_url:
        args.database_url = PG_MONEY_URL
    OUT.mkdir(parents=True, exist_ok=True)
    if args.database == "sqlite":  # our own file: never the foundation's bench/out/var-sqlite
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="powerkam.settings")
        env.setdefault("LOG_LEVEL", "ERROR")
        env.pop("DATABASE_URL", None)
        var = OUT / "var-money-sqlite"
        var.mkdir(parents=True, exist_ok=True)
        if not args.reuse:
            for f in var.glob("powerkam.sqlite3*"):
                f.unlink()
        env["POWERKAM_VAR_DIR"] = str(var)
    else:
        env = _fresh_database(args)
    report = {"database": args.database, "customers": args.customers, "when": time.strftime("%Y-%m-%d %H:%M"),
              "cpus": os.cpu_count(), "loadavg_start": loadavg(), "python": sys.version.split()[0]}
    phases = [p for p in args.phases.split(",") if p]
    if args.reuse and "load" in phases:
        phases.remove("load")
    path = OUT / f"money-{args.database}-{args.customers}-{time.strftime('%Y%m%d-%H%M')}.json"
    for name in phases:
        started = time.perf_counter()
        report[name] = _run(args, env, name)
        report[name]["wall_s"] = round(time.perf_counter() - started, 1)
        path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))  # partial results survive
        if name == "load" and report[name].get("failed"):
            break
    print_table(report)
    print(f"\nJSON: {path.relative_to(ROOT)}")
    failed = [k for k in PHASES if report.get(k, {}).get("failed")]
    for k in failed:
        print(f"\nphase {k} failed:\n{report[k]['stderr']}", file=sys.stderr)
    sys.exit(1 if failed else 0)


def _run(args, env, name):
    cmd = [sys.executable, __file__, "--phase", name, "--customers", str(args.customers), "--seed", str(args.seed),
           "--repeat", str(args.repeat)]
    if args.rebill:
        cmd.append("--rebill")
    print(f"… {name} ({time.strftime('%H:%M:%S')}, load {loadavg()})", flush=True)
    return run_in_process(cmd, env)


if __name__ == "__main__":
    main()
