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

# --- Enterprise credit assessment (seed 003-篇4) ---------------------------------------------
MONEY = Decimal("0.01")
RATIO = Decimal("0.0001")
EVAL = Decimal("0.01")

# Characteristic analysis: 3 categories × 6 items × 4 aspects = 72 scored items. The seed names
# the categories and items (DOMAIN.md lists them); it does not list the four aspects of each
# item — those below are ours, chosen for a power-supply key account. Labels are (English, 中文).
# Every aspect is scored 0–5 (0 unknown or very poor, 3 average, 5 excellent); the form starts
# every aspect at 3.
SCORE_MIN = 0
SCORE_MAX = 5
SCORE_DEFAULT = 3

CHARACTERISTICS = [
    ("own", ("Own characteristics", "客户自身特征"), [
        ("impression", ("Impression", "表面印象"), [
            ("Premises and site order", "经营场所与现场秩序"),
            ("Staff conduct", "员工精神面貌"),
            ("Reception and communication", "接待与沟通"),
            ("Public reputation", "企业形象与声誉"),
        ]),
        ("organisation", ("Organisation", "组织管理"), [
            ("Ownership and governance", "股权结构与法人治理"),
            ("Management quality and stability", "管理层素质与稳定性"),
            ("Internal controls", "内部管理制度"),
            ("Financial management", "财务管理规范性"),
        ]),
        ("product_industry", ("Product and industry", "产品与行业"), [
            ("Product quality", "产品质量"),
            ("Market demand for products", "产品市场需求"),
            ("Industry outlook", "行业发展前景"),
            ("Industrial and environmental policy compliance", "产业政策与环保合规"),
        ]),
        ("competitiveness", ("Competitiveness", "市场竞争性"), [
            ("Market share", "市场占有率"),
            ("Technology and equipment", "技术与装备水平"),
            ("Cost advantage", "成本优势"),
            ("Brand and customer base", "品牌与客户基础"),
        ]),
        ("operations", ("Operations", "经营状况"), [
            ("Capacity utilisation and load stability", "开工率与用电负荷稳定性"),
            ("Sales growth", "销售增长"),
            ("Cash turnover", "资金周转"),
            ("Years in business", "经营年限"),
        ]),
        ("prospects", ("Prospects", "发展前景"), [
            ("Development strategy", "发展战略"),
            ("Investment and expansion plans", "投资与扩产计划"),
            ("Innovation", "创新能力"),
            ("Growth of electricity demand", "用电增长潜力"),
        ]),
    ]),
    ("priority", ("Priority characteristics", "优先性特征"), [
        ("margin", ("Transaction margin", "交易盈利率"), [
            ("Size of electricity revenue", "电费收入规模"),
            ("Margin contribution of the tariff", "电价毛利贡献"),
            ("Cost to serve", "服务成本"),
            ("Stability of volume", "用电量稳定性"),
        ]),
        ("terms", ("Terms", "交易条件"), [
            ("Settlement method", "结算方式"),
            ("Billing and payment cycle", "缴费周期"),
            ("Willingness to prepay or pay in instalments", "预付与分次结算意愿"),
            ("Contract compliance", "合同履约情况"),
        ]),
        ("competitive_effect", ("Effect on competitiveness", "市场竞争力影响"), [
            ("Share of our electricity sales", "售电量贡献"),
            ("Reference value in its industry", "行业示范效应"),
            ("Depth of cooperation (value-added services)", "合作深度(增值服务)"),
            ("Risk of loss to competitors", "流失风险"),
        ]),
        ("attractiveness_effect", ("Effect on market attractiveness", "市场吸引力影响"), [
            ("Growth of its region", "所在区域发展"),
            ("Pull on its supply chain", "产业链带动作用"),
            ("New load opportunities", "新增用电机会"),
            ("Public profile", "社会影响力"),
        ]),
        ("guarantees", ("Payment guarantees", "付款担保"), [
            ("Deposit or prepaid electricity", "履约保证金或预付电费"),
            ("Bank guarantee", "银行保函"),
            ("Collateral or pledge", "抵押与质押"),
            ("Third-party guarantee", "第三方担保"),
        ]),
        ("substitutability", ("Substitutability", "可替代性"), [
            ("Own generation or distributed energy", "自备电源与分布式能源"),
            ("Switching to a retail supplier", "转向售电公司的可能"),
            ("Criticality of supply to its production", "供电对生产的重要性"),
            ("Relocation risk", "迁址可能性"),
        ]),
    ]),
    ("financial", ("Financial credit", "财务信用特征"), [
        ("payment_record", ("Payment record", "付款记录"), [
            ("On-time payment rate", "按期缴费率"),
            ("Longest delay", "最长逾期天数"),
            ("Current arrears", "当前欠费"),
            ("Late-payment penalty record", "违约金记录"),
        ]),
        ("bank_credit", ("Bank credit", "银行信用"), [
            ("Bank credit rating", "银行信用等级"),
            ("Loan repayment record", "贷款偿还记录"),
            ("Use of credit lines", "授信额度使用"),
            ("Adverse credit-bureau records", "征信不良记录"),
        ]),
        ("solvency", ("Solvency", "偿债能力"), [
            ("Current ratio", "流动比率"),
            ("Quick ratio", "速动比率"),
            ("Cash ratio", "现金比率"),
            ("Debt ratio", "资产负债率"),
        ]),
        ("profitability", ("Profitability", "获利能力"), [
            ("Sales margin", "销售利润率"),
            ("Gross margin", "毛利率"),
            ("Cost-profit ratio", "成本利润率"),
            ("Profit growth", "利润增长"),
        ]),
        ("balance_sheet", ("Balance sheet", "资产负债表评估"), [
            ("Asset quality", "资产质量"),
            ("Inventory turnover", "存货周转"),
            ("Quality of receivables", "应收账款质量"),
            ("Contingent liabilities", "或有负债"),
        ]),
        ("capital", ("Capital", "资本总额"), [
            ("Registered capital", "注册资本"),
            ("Net worth", "净资产规模"),
            ("Trend of capital strength", "资本实力变化"),
            ("Strength of shareholders", "股东背景"),
        ]),
    ]),
]
ITEM_KEYS = [item for _cat, _label, items in CHARACTERISTICS for item, _l, _a in items]
ASPECTS_PER_ITEM = 4
CHARACTERISTIC_MAX = len(ITEM_KEYS) * ASPECTS_PER_ITEM * SCORE_MAX  # 18 × 4 × 5 = 360
assert len(ITEM_KEYS) == 18 and len(set(ITEM_KEYS)) == 18
assert all(len(aspects) == 4 for _c, _l, items in CHARACTERISTICS for _i, _il, aspects in items)

# Characteristic grade 1–6 from the total score as a percentage of the maximum (the seed: 6
# grades "表明风险程度的大小和是否给予信用销售"; thresholds are ours and editable by admins in
# CharacteristicGrade). (grade, minimum percent, English, 中文)
DEFAULT_GRADES = [
    (1, Decimal("85"), "Minimal risk", "风险极小"),
    (2, Decimal("70"), "Low risk", "风险小"),
    (3, Decimal("55"), "Moderate risk", "风险一般"),
    (4, Decimal("40"), "Elevated risk", "风险较大"),
    (5, Decimal("25"), "High risk", "风险大"),
    (6, Decimal("0"), "Very high risk: no credit sales", "风险极大,不予信用销售"),
]

# Working-capital model (营运资产分析模型). The seed describes it (营运资产 and the asset-liability
# ratios give an 评估值; the larger, the better) without figures; we implement the classic model
# as published in Chinese credit-management textbooks (after Dun & Bradstreet):
#   营运资本 working capital = current assets − current liabilities
#   营运资产 operating assets = (working capital + net worth) / 2
#   评估值 evaluation value = A + B − C − D, where
#     A current ratio = current assets / current liabilities
#     B quick ratio = (current assets − inventory) / current liabilities
#     C short-term debt to net worth = current liabilities / net worth
#     D total debt to net worth = total liabilities / net worth
#   credit limit = operating assets × the percentage for the evaluation value (table below).
# The evaluation value is rounded to 2 places; each row is (upper bound inclusive, percent):
# "≤ −4.60 → 0 %", "−4.59 … −3.90 → 2.5 %", …, "3.81 … 4.50 → 32.5 %", "≥ 4.51 → 35 %".
EVALUATION_TABLE = [
    (Decimal("-4.60"), Decimal("0")),
    (Decimal("-3.90"), Decimal("2.5")),
    (Decimal("-3.20"), Decimal("5.0")),
    (Decimal("-2.50"), Decimal("7.5")),
    (Decimal("-1.80"), Decimal("10.0")),
    (Decimal("-1.10"), Decimal("12.5")),
    (Decimal("-0.40"), Decimal("15.0")),
    (Decimal("0.30"), Decimal("17.5")),
    (Decimal("1.00"), Decimal("20.0")),
    (Decimal("1.70"), Decimal("22.5")),
    (Decimal("2.40"), Decimal("25.0")),
    (Decimal("3.10"), Decimal("27.5")),
    (Decimal("3.80"), Decimal("30.0")),
    (Decimal("4.50"), Decimal("32.5")),
    (None, Decimal("35.0")),
]
# With no current liabilities the current and quick ratios are unbounded; in the evaluation
# value each counts as this cap (our choice; the ratios themselves are shown as "—").
LIQUIDITY_RATIO_CAP = Decimal("5")
# The seed combines the working-capital result with the characteristic grade ("进行一系列的综合
# 计算"); it gives no figures. Our rule: the model limit is multiplied by this factor of the grade
# (grade 6 means no credit sales, so 0).
GRADE_LIMIT_FACTOR = {
    1: Decimal("1.00"),
    2: Decimal("1.00"),
    3: Decimal("0.90"),
    4: Decimal("0.75"),
    5: Decimal("0.50"),
    6: Decimal("0.00"),
}
# Tolerance when the statement gives net worth and it should equal total assets − total liabilities.
BALANCE_TOLERANCE = Decimal("1.00")

# Limit tiers (seed 003-篇4; DOMAIN.md): lower bound inclusive, so 300,000.00 exactly is 2A.
LIMIT_TIERS = [
    ("5A", Decimal("1500000")),
    ("4A", Decimal("1000000")),
    ("3A", Decimal("600000")),
    ("2A", Decimal("300000")),
    ("1A", Decimal("0")),
]

# --- Pre-filling a new assessment from data the system holds (issue #10 item 8) ----------------
# Score 0–5 of an aspect from a figure: the first row (threshold, score) the value reaches. For
# "higher is better" figures a value ≥ threshold scores; for "lower is better" (days, arrears,
# penalties, debt ratio) a value ≤ threshold does. Below every row: 0. These cut-offs are ours
# (the seed gives the items, not their scales): the on-time and delay rows follow the payment-
# behaviour levels above (A ≥ 95 % on time, ≤ 5 days late; B 85 %/15 days; C 70 %/30 days), the
# ratio rows the usual textbook readings (current ratio 2, quick ratio 1, debt ratio ≤ 50 %).
HIGHER, LOWER = "higher", "lower"
PREFILL_SCALES = {
    "on_time_rate": (HIGHER, ((Decimal("0.98"), 5), (Decimal("0.95"), 4), (Decimal("0.85"), 3),
                              (Decimal("0.70"), 2), (Decimal("0.01"), 1))),
    "max_days_overdue": (LOWER, ((0, 5), (5, 4), (15, 3), (30, 2), (60, 1))),
    "arrears": (LOWER, ((Decimal("0"), 5), (Decimal("10000"), 4), (Decimal("50000"), 3), (Decimal("200000"), 2),
                        (Decimal("1000000"), 1))),
    "late_fees": (LOWER, ((0, 5), (1, 4), (2, 3), (4, 2), (6, 1))),
    "current_ratio": (HIGHER, ((Decimal("2.0"), 5), (Decimal("1.5"), 4), (Decimal("1.2"), 3), (Decimal("1.0"), 2),
                               (Decimal("0.8"), 1))),
    "quick_ratio": (HIGHER, ((Decimal("1.5"), 5), (Decimal("1.0"), 4), (Decimal("0.8"), 3), (Decimal("0.6"), 2),
                             (Decimal("0.4"), 1))),
    "cash_ratio": (HIGHER, ((Decimal("0.5"), 5), (Decimal("0.3"), 4), (Decimal("0.2"), 3), (Decimal("0.1"), 2),
                            (Decimal("0.05"), 1))),
    "debt_ratio": (LOWER, ((Decimal("0.4"), 5), (Decimal("0.5"), 4), (Decimal("0.6"), 3), (Decimal("0.7"), 2),
                           (Decimal("0.85"), 1))),
    "sales_margin": (HIGHER, ((Decimal("0.15"), 5), (Decimal("0.10"), 4), (Decimal("0.05"), 3), (Decimal("0.02"), 2),
                              (Decimal("0.0001"), 1))),
    "gross_margin": (HIGHER, ((Decimal("0.40"), 5), (Decimal("0.30"), 4), (Decimal("0.20"), 3), (Decimal("0.10"), 2),
                              (Decimal("0.0001"), 1))),
    "cost_profit_ratio": (HIGHER, ((Decimal("0.20"), 5), (Decimal("0.12"), 4), (Decimal("0.06"), 3),
                                   (Decimal("0.02"), 2), (Decimal("0.0001"), 1))),
    "inventory_turnover": (HIGHER, ((Decimal("8"), 5), (Decimal("6"), 4), (Decimal("4"), 3), (Decimal("2"), 2),
                                    (Decimal("0.0001"), 1))),
}
# Which aspect (item, 1-based index) each figure fills.
PREFILL_ASPECTS = {
    "on_time_rate": ("payment_record", 1), "max_days_overdue": ("payment_record", 2),
    "arrears": ("payment_record", 3), "late_fees": ("payment_record", 4),
    "current_ratio": ("solvency", 1), "quick_ratio": ("solvency", 2), "cash_ratio": ("solvency", 3),
    "debt_ratio": ("solvency", 4),
    "sales_margin": ("profitability", 1), "gross_margin": ("profitability", 2),
    "cost_profit_ratio": ("profitability", 3),
    "inventory_turnover": ("balance_sheet", 2),
}
LATE_FEE_WINDOW_MONTHS = 12
