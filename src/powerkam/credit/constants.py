"""Numbers of the credit rules: data, never inline in views or services.

Sources: seed 003-篇4 (时风集团 信用管理: financial evaluation, characteristic analysis with
3 × 6 × 4 = 72 items and 6 grades, the working-capital model and the 1A–5A limit tiers with the
final "XAY" code); DOMAIN.md "Credit rating".
"""

from decimal import Decimal

# --- Payment-behaviour levels (defaults; administrators edit BehaviourLevel rows) -------------
# (code, Chinese name, rank, min on-time rate, max days overdue, max arrears yuan, is_low)
DEFAULT_BEHAVIOUR_LEVELS = [
    ("A", "优", 1, Decimal("0.95"), 5, Decimal("0.00"), False),
    ("B", "良", 2, Decimal("0.85"), 15, None, False),
    ("C", "中", 3, Decimal("0.70"), 30, None, False),
    ("D", "差", 4, None, None, None, True),
]
BEHAVIOUR_WINDOW_MONTHS = 12
