"""The demo company: a city power supply company with its key-account team and archive.

`load_demo()` builds company → 3 regions → 9 supply stations, ~30 staff in every role,
substations with named 10 / 35 / 110 kV lines, and `scale` customers with contacts, supply
points, transformers, metering points and supply contracts. The archive is consistent by
construction (contract capacity = in-service transformers, multiplier = CT × PT, PF standard
from `expected_pf_standard`, valid GB 32100 credit codes) except for a deliberate ~4% of
archive errors of the kinds the quality page flags. Same seed and same day, same data.

Rows are written with bulk_create in batches, so 100,000 customers take minutes and memory
stays bounded; then the data-quality rules run once over everybody.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from powerkam.org.models import OrgUnit, Role, Staff

from . import constants as c
from . import quality
from .models import (
    Contact,
    Customer,
    MeteringPoint,
    Substation,
    SupplyContract,
    SupplyLine,
    SupplyPoint,
    Transformer,
)
from .validators import USCC_CHARSET, id_check_char, uscc_check_char

# The one documented demo password (README, `manage.py demo_logins`). Demo data only.
DEMO_PASSWORD = "PowerKAM-demo-2026"
DEFAULT_SCALE = 2000
BATCH = 2000

# ---------------------------------------------------------------------------------------------
# Organisation and people
# ---------------------------------------------------------------------------------------------

COMPANY = ("PSC", "市供电公司")
REGIONS = (
    ("PSC-E", "城东片区", (("PSC-E1", "东关供电所"), ("PSC-E2", "龙泉供电所"), ("PSC-E3", "高新供电所"))),
    ("PSC-W", "城西片区", (("PSC-W1", "西城供电所"), ("PSC-W2", "桃源供电所"), ("PSC-W3", "白沙供电所"))),
    ("PSC-S", "城南片区", (("PSC-S1", "南湖供电所"), ("PSC-S2", "开发区供电所"), ("PSC-S3", "临港供电所"))),
)

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "建华", "志强", "海燕", "晓东", "国庆", "文博", "子涵", "浩然", "雨欣", "俊杰",
         "建国", "丽娟", "春梅", "红", "鹏", "辉", "斌", "宇", "凯", "晨", "欣怡", "思远", "卫东", "玉兰", "振华",
         "永刚", "立新", "淑珍", "海波", "志刚", "慧敏", "佳琪", "一鸣", "嘉怡", "明轩", "雪梅")


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    unit_code: str


def demo_staff_plan() -> list[DemoLogin]:
    """31 accounts: 1 admin, 2 executives, 4 supervisors, 3 clerks, 12 managers, 9 specialists."""
    plan = [DemoLogin("admin", Role.ADMIN, COMPANY[0]),
            DemoLogin("executive1", Role.EXECUTIVE, COMPANY[0]),
            DemoLogin("executive2", Role.EXECUTIVE, COMPANY[0]),
            DemoLogin("supervisor1", Role.SUPERVISOR, COMPANY[0])]
    stations = [s for _r, _n, sts in REGIONS for s in sts]
    for i, (code, _name, _sts) in enumerate(REGIONS, start=2):
        plan.append(DemoLogin(f"supervisor{i}", Role.SUPERVISOR, code))
    for i, (code, _name, _sts) in enumerate(REGIONS, start=1):
        plan.append(DemoLogin(f"clerk{i}", Role.CLERK, code))
    for i, (code, _name) in enumerate(stations, start=1):
        plan.append(DemoLogin(f"manager{i}", Role.MANAGER, code))
        plan.append(DemoLogin(f"specialist{i}", Role.SPECIALIST, code))
    # Three more managers in the busiest stations (one per region).
    for i, (_code, _name, sts) in enumerate(REGIONS, start=10):
        plan.append(DemoLogin(f"manager{i}", Role.MANAGER, sts[-1][0]))
    return plan


# ---------------------------------------------------------------------------------------------
# Grid: substations and named lines, per region
# ---------------------------------------------------------------------------------------------

SUBSTATIONS = {
    "PSC-E": (("110kV东关变电站", ("东关", "纺机", "龙泉", "南街", "电厂", "新村")),
              ("110kV高新变电站", ("高新", "科创", "软件园", "光谷", "创业")),
              ("35kV龙泉变电站", ("龙泉一", "龙泉二", "果园", "水库"))),
    "PSC-W": (("110kV西城变电站", ("西城", "钢厂", "化工", "桃源", "体育")),
              ("110kV白沙变电站", ("白沙", "砖厂", "河西", "医院", "学府")),
              ("220kV钢城变电站", ("钢城", "铝业", "冶炼"))),
    "PSC-S": (("110kV南湖变电站", ("南湖", "湖滨", "会展", "商城", "地铁")),
              ("110kV开发区变电站", ("开发区", "工业园", "物流", "食品园", "保税")),
              ("110kV临港变电站", ("临港", "港口", "码头", "石化"))),
}


def _line_voltage(substation: str, k: int) -> str:
    if substation.startswith("220kV"):
        return c.VoltageLevel.V110 if k < 2 else c.VoltageLevel.V35
    if substation.startswith("35kV"):
        return c.VoltageLevel.V10
    return c.VoltageLevel.V35 if k == 0 else c.VoltageLevel.V10


# ---------------------------------------------------------------------------------------------
# Customers: names, industries, equipment
# ---------------------------------------------------------------------------------------------

PLACES = ("东关", "龙泉", "高新", "西城", "桃源", "白沙", "南湖", "临港", "金桥", "江北", "城南", "滨江", "湖东",
          "青山", "凤凰", "长岭", "石桥", "柳湾", "云台", "新港")
BRANDS = ("华宇", "恒通", "宏达", "鑫源", "新华", "永盛", "天成", "瑞丰", "昌盛", "中联", "汇通", "博远", "德润",
          "长江", "海川", "鼎盛", "金鹰", "嘉禾", "万和", "盛世", "同创", "明辉", "安泰", "正泰", "远航", "星河",
          "晨光", "佳美", "隆达", "亿丰", "广源", "泰和", "振兴", "九洲", "联合", "东方", "宝丰", "兴隆", "富达",
          "国泰", "华新", "恒信", "金源", "天润", "利民", "祥瑞", "盛达", "荣华", "立信", "宏远", "大通",
          "百川", "凯达", "春晖", "银河", "锦程", "威力", "新宇", "华通", "红星")
ENTERPRISE_FORMS = ("有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司", "集团有限公司")

# GB/T 4754 section → (weight, business words, customer type). Institutions take their own names.
INDUSTRIES: dict[str, tuple[int, tuple[str, ...], str]] = {
    "C": (40, ("纺织", "机械制造", "精密铸造", "电子科技", "新材料", "化工", "食品", "制药", "汽车零部件", "钢铁",
               "水泥", "塑胶制品", "印染", "电器", "包装材料", "光电科技", "服饰", "家具", "玻璃制品", "造纸",
               "铝业", "特种钢管", "模具", "电缆", "锂电池", "半导体", "陶瓷", "轮胎", "饲料", "啤酒"), "enterprise"),
    "B": (2, ("矿业", "石材", "砂石", "采矿"), "enterprise"),
    "D": (3, ("热电", "水务", "燃气", "新能源", "自来水"), "enterprise"),
    "E": (4, ("建设工程", "建筑安装", "路桥工程", "混凝土"), "enterprise"),
    "F": (8, ("商贸", "超市", "物资", "购物中心", "百货", "汽车销售"), "enterprise"),
    "G": (5, ("物流", "冷链物流", "公交", "港务", "仓储", "轨道交通"), "enterprise"),
    "H": (4, ("大酒店", "宾馆", "餐饮管理", "度假村"), "enterprise"),
    "I": (4, ("数据科技", "信息技术", "网络科技", "云计算", "通信"), "enterprise"),
    "J": (2, ("农村商业银行", "村镇银行", "保险"), "enterprise"),
    "K": (6, ("房地产开发", "物业管理", "置业"), "enterprise"),
    "L": (3, ("商务服务", "设备租赁", "会展服务"), "enterprise"),
    "M": (2, ("检测技术", "工程技术研究", "勘察设计"), "enterprise"),
    "N": (3, ("污水处理", "环保科技", "园林绿化"), "enterprise"),
    "O": (1, ("洗涤服务", "汽车维修"), "enterprise"),
    "P": (3, ("中学", "小学", "职业技术学院", "实验学校"), "institution"),
    "Q": (3, ("人民医院", "中医院", "妇幼保健院", "疾病预防控制中心"), "institution"),
    "R": (2, ("体育中心", "影城", "文化传媒", "图书馆"), "enterprise"),
    "S": (2, ("行政服务中心", "街道办事处", "公安局", "人民法院"), "institution"),
    "A": (3, ("生态农业", "养殖", "农业科技", "种植专业合作社"), "enterprise"),
}
_SECTIONS = list(INDUSTRIES)
_SECTION_WEIGHTS = [INDUSTRIES[s][0] for s in _SECTIONS]
PUBLIC_WORDS = {"农村商业银行", "村镇银行", "文化传媒", "影城", "体育中心", "图书馆"}

# Transformer sizes (kVA) of the GB/T 6451 / 10228 series, by customer size class.
SMALL = (50, 80, 100, 125, 160, 200, 250)
MEDIUM = (315, 400, 500, 630, 800)
LARGE = (800, 1000, 1250, 1600, 2000, 2500)
HUGE_35 = (3150, 4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000)
HUGE_110 = (31500, 40000, 50000)
CT_PRIMARIES = (5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 400, 500, 600, 750, 800, 1000,
                1200, 1500, 2000, 2500, 3000, 4000, 5000, 6000)
PT_BY_VOLTAGE = {"10kV": 10000, "35kV": 35000, "110kV": 110000}
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                   "153", "155", "156", "157", "158", "159", "177", "180", "181", "182", "185", "186",
                   "187", "188", "189", "199")
ROADS = ("人民路", "解放路", "建设路", "中山路", "工业大道", "科技路", "滨江路", "迎宾大道", "长江路", "黄河路",
         "新华路", "和平路", "创业大道", "发展大道", "港城路", "学府路", "湖滨路", "文化路", "纬一路", "经三路")
DIVISIONS = ("320102", "320104", "320105", "320106", "320111", "320113", "320114", "320115", "320116")
BOUNDARIES = ("客户10kV进线电缆终端头", "T接杆跌落式熔断器上桩头", "客户配电室进线柜进线开关上桩头",
              "分界开关负荷侧", "客户35kV进线门型架", "环网柜出线间隔电缆终端")
CLOSE_REASONS = ("企业搬迁", "破产清算", "合并户号", "项目终止", "改为低压供电")

ERROR_KINDS = ("capacity_mismatch", "multiplier_mismatch", "missing_supply_line", "contract_expired",
               "pf_standard_mismatch", "identity_missing")


def _org_code(n: int, modern: bool) -> str:
    """A GB 11714 organisation code (8 characters + its check character)."""
    if modern:
        body = "MA"
        x = (n * 104729 + 7) % 31**6
        for _ in range(6):
            body += USCC_CHARSET[x % 31]
            x //= 31
    else:
        body = f"{(n * 7919 + 10_000_000) % 100_000_000:08d}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def make_credit_code(n: int, authority: str, division: str) -> str:
    """A valid GB 32100 unified social credit code, unique per n."""
    body = authority + division + _org_code(n, modern=n % 2 == 0)
    return body + uscc_check_char(body)


def make_id_number(rng: random.Random, division: str) -> str:
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 40 * 365))
    body = f"{division}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + id_check_char(body)


def ct_primary_for(amps: float) -> int:
    for p in CT_PRIMARIES:
        if p >= amps:
            return p
    return CT_PRIMARIES[-1]


def _mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(0, 10**8):08d}"


@dataclass
class _Spec:
    """One generated customer with its archive records (unsaved)."""

    customer: Customer
    contacts: list[Contact] = field(default_factory=list)
    points: list[SupplyPoint] = field(default_factory=list)
    transformers: list[tuple[int, Transformer]] = field(default_factory=list)  # (point index, tr)
    meters: list[tuple[int, MeteringPoint]] = field(default_factory=list)
    contracts: list[SupplyContract] = field(default_factory=list)


class DemoGenerator:
    def __init__(self, seed: int, today: date, stations: list[OrgUnit], portfolio: dict[int, list[int]],
                 lines: dict[int, dict[str, list[SupplyLine]]]):
        self.rng = random.Random(seed)
        self.seed = seed
        self.today = today
        self.stations = stations
        self.portfolio = portfolio  # station id → portfolio staff ids (managers first)
        self.lines = lines  # station id → voltage → lines
        self.names: set[str] = set()
        self.errors: dict[str, int] = dict.fromkeys(ERROR_KINDS, 0)

    # -- names ------------------------------------------------------------------------------
    def _name(self, section: str, word: str, ctype: str) -> str:
        rng = self.rng
        for attempt in range(20):
            place = rng.choice(PLACES)
            if ctype == "institution":
                if section == "S":
                    name = f"市{place}{word}" if word != "街道办事处" else f"{place}{word}"
                elif word in ("中学", "小学"):
                    name = f"市第{rng.randint(1, 60)}{word}" if rng.random() < 0.4 else f"{place}{rng.choice(('实验', '外国语', '育才', ''))}{word}"
                else:
                    name = f"市{place}{word}" if rng.random() < 0.3 else f"{place}{rng.choice(('区', '县', ''))}{word}"
                if attempt > 2:
                    name += f"{rng.choice(PLACES)}分院" if section == "Q" else f"{rng.choice(PLACES)}校区" if section == "P" else f"{rng.choice(PLACES)}分中心"
            else:
                brand = rng.choice(BRANDS)
                form = "" if word.endswith(("合作社", "银行")) else rng.choice(ENTERPRISE_FORMS)
                name = f"{place}{brand}{word}{form}" if rng.random() < 0.8 else f"{brand}{word}{form}"
                if word.endswith("银行"):
                    name = f"{place}{word}股份有限公司" + (f"{rng.choice(PLACES)}支行" if attempt else "")
                if attempt > 5:
                    name = f"{name}{rng.choice(PLACES)}分公司"
            if name not in self.names:
                self.names.add(name)
                return name
        name = f"{name}（{len(self.names)}）"
        self.names.add(name)
        return name

    # -- one customer -----------------------------------------------------------------------
    def customer(self, i: int) -> _Spec:
        rng, today = self.rng, self.today
        station = self.stations[rng.randrange(len(self.stations))]
        section = rng.choices(_SECTIONS, _SECTION_WEIGHTS)[0]
        _w, words, ctype = INDUSTRIES[section]
        word = rng.choice(words)
        person = section == "A" and rng.random() < 0.3
        division = rng.choice(DIVISIONS)

        # Equipment first: the archive's capacities follow the transformers.
        r = rng.random()
        if r < 0.30:
            voltage, sizes, records = c.VoltageLevel.V10, SMALL, 1
        elif r < 0.65:
            voltage, sizes, records = c.VoltageLevel.V10, MEDIUM, rng.choice((1, 1, 2))
        elif r < 0.93:
            voltage, sizes, records = c.VoltageLevel.V10, LARGE, rng.choice((1, 2, 2, 3))
        elif r < 0.995:
            voltage, sizes, records = c.VoltageLevel.V35, HUGE_35, rng.choice((1, 2))
        else:
            voltage, sizes, records = c.VoltageLevel.V110, HUGE_110, 2
        if person or section in ("A", "O"):
            voltage, sizes, records = c.VoltageLevel.V10, SMALL + MEDIUM[:2], 1
        size = rng.choice(sizes)
        transformers = []
        for k in range(records):
            qty = rng.choice((1, 1, 2)) if records == 1 else 1
            kind = "SZ11" if voltage != c.VoltageLevel.V10 else rng.choice(("SCB13", "S13-M", "SCB14", "S20-M"))
            kv = {"10kV": 10, "35kV": 35, "110kV": 110}[voltage]
            transformers.append(Transformer(model_no=f"{kind}-{size}/{kv}", serial_no=f"{rng.randrange(10**9):09d}",
                                            capacity_kva=Decimal(size), quantity=qty, in_service=True))
            if k == 0 and rng.random() < 0.3:
                size = rng.choice(sizes)  # a second transformer of another size
        total = sum(t.capacity_kva * t.quantity for t in transformers)
        if rng.random() < 0.05:  # a cold-standby unit, not counted in capacity
            transformers.append(Transformer(model_no=transformers[0].model_no, serial_no=f"{rng.randrange(10**9):09d}",
                                            capacity_kva=transformers[0].capacity_kva, quantity=1, in_service=False))

        if section == "A":
            usage = c.UsageCategory.AGRICULTURE
        elif section == "K" and word == "物业管理" and rng.random() < 0.5:
            usage = c.UsageCategory.RESIDENTIAL
        elif section in c.INDUSTRIAL_SECTIONS and total >= 315:
            usage = c.UsageCategory.LARGE_INDUSTRY
        else:
            usage = c.UsageCategory.GENERAL_COMMERCIAL

        lifecycle = rng.choices(
            (c.LifecycleStatus.ACTIVE, c.LifecycleStatus.SUSPENDED, c.LifecycleStatus.CONNECTING, c.LifecycleStatus.CLOSED),
            (93, 2, 2, 3))[0]
        p_key = 0.02 if total < 315 else 0.06 if total < 1000 else 0.16 if total < 4000 else 0.6
        if section in ("Q", "S", "I"):
            p_key += 0.1
        is_key = lifecycle != c.LifecycleStatus.CLOSED and rng.random() < p_key
        staff = self.portfolio[station.pk]
        primary = secondary = None
        if is_key or rng.random() < 0.85:
            primary = rng.choice(staff)
            if is_key and rng.random() < 0.25:
                secondary = rng.choice([s for s in staff if s != primary])

        importance = c.ImportanceLevel.NONE
        if section in ("Q", "S") or word in ("化工", "半导体", "自来水", "水务", "污水处理", "轨道交通", "云计算"):
            importance = rng.choice((c.ImportanceLevel.FIRST, c.ImportanceLevel.SECOND, c.ImportanceLevel.SECOND))
            if word in ("人民医院", "公安局") and rng.random() < 0.2:
                importance = c.ImportanceLevel.SPECIAL
        elif is_key and rng.random() < 0.05:
            importance = c.ImportanceLevel.TEMPORARY

        name = person_name(rng) if person else ""
        number = f"{3100000000 + i}"
        if person:
            cname = f"{name}（{rng.choice(PLACES)}{rng.choice(('养殖场', '家庭农场', '果园'))}）"
            self.names.add(cname)
            ctype = c.CustomerType.PERSON
        else:
            cname = self._name(section, word, ctype)
        authority = {"institution": "11" if section == "S" else "12", "enterprise": "91"}[ctype] if not person else ""
        if word.endswith("合作社"):
            authority = "93"
        opened = today - timedelta(days=rng.randrange(60, 30 * 365))
        legal_rep = "" if person else person_name(rng)
        if usage == c.UsageCategory.LARGE_INDUSTRY:
            basic = rng.choice((c.BasicChargeMethod.CAPACITY, c.BasicChargeMethod.CAPACITY, c.BasicChargeMethod.DEMAND))
        else:
            basic = c.BasicChargeMethod.NONE
        tariff_prefix = {"large_industry": "DGY", "general_commercial": "GSY", "agriculture": "NY", "residential": "JM"}[usage]
        customer = Customer(
            number=number, name=cname, customer_type=ctype,
            credit_code="" if person else make_credit_code(i + self.seed * 1_000_003, authority, division),
            legal_representative=legal_rep,
            id_number=make_id_number(rng, division) if person else "",
            address=f"{rng.choice(PLACES)}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
            industry=section, usage_category=usage, voltage_level=voltage,
            contract_capacity_kva=total, operating_capacity_kva=total,
            lifecycle_status=lifecycle, importance_level=importance,
            scope=rng.choices((c.Scope.REGIONAL, c.Scope.NATIONAL, c.Scope.GLOBAL), (85, 12, 3))[0],
            cooperation_depth=rng.choice(c.CooperationDepth.values) if is_key else "",
            is_key_account=is_key,
            ka_tier=rng.choices(c.KeyAccountTier.values, (25, 40, 35))[0] if is_key else "",
            tariff_code=f"{tariff_prefix}-{voltage.removesuffix('kV')}",
            basic_charge_method=basic,
            pf_standard=c.expected_pf_standard(usage, section, voltage, total),
            tou_enabled=usage in (c.UsageCategory.LARGE_INDUSTRY, c.UsageCategory.GENERAL_COMMERCIAL) and total >= 100,
            org_unit_id=station.pk, primary_manager_id=primary, secondary_manager_id=secondary,
            developed_by_id=primary, opened_on=None if lifecycle == c.LifecycleStatus.CONNECTING else opened,
        )
        customer.business_licence_no = customer.credit_code
        if lifecycle == c.LifecycleStatus.CLOSED:
            customer.closed_on = today - timedelta(days=rng.randrange(1, 3 * 365))
            customer.opened_on = min(opened, customer.closed_on - timedelta(days=30))
            customer.close_reason = rng.choice(CLOSE_REASONS)
        spec = _Spec(customer)

        # Contacts
        if legal_rep:
            spec.contacts.append(Contact(customer=customer, name=legal_rep, role=c.ContactRole.LEGAL_REP,
                                         title="法定代表人", mobile=_mobile(rng)))
        spec.contacts.append(Contact(customer=customer, name=person_name(rng) if not person else name,
                                     role=c.ContactRole.ELECTRICIAN, title="电气负责人", mobile=_mobile(rng),
                                     is_primary=True))
        if rng.random() < 0.6 and not person:
            spec.contacts.append(Contact(customer=customer, name=person_name(rng), role=c.ContactRole.FINANCE,
                                         title="财务主管", mobile=_mobile(rng),
                                         phone=f"0{rng.randint(20, 29)}-{rng.randrange(10**7, 10**8)}"))

        # Power sources: main, and a backup on another line for important users.
        station_lines = self.lines[station.pk]
        candidates = station_lines.get(voltage) or station_lines[c.VoltageLevel.V10]
        main_line = rng.choice(candidates)
        spec.points.append(SupplyPoint(customer=customer, name="1号电源", supply_line=main_line,
                                       substation_id=main_line.substation_id, source_type=c.SourceType.MAIN,
                                       voltage_level=voltage, capacity_kva=total))
        if importance != c.ImportanceLevel.NONE and len(candidates) > 1:
            backup = rng.choice([ln for ln in candidates if ln.pk != main_line.pk])
            spec.points.append(SupplyPoint(customer=customer, name="2号电源", supply_line=backup,
                                           substation_id=backup.substation_id, source_type=c.SourceType.BACKUP,
                                           voltage_level=voltage, capacity_kva=total))
        for t in transformers:
            t.customer = customer
            spec.transformers.append((0, t))

        # Metering: high-side (高供高计) from 315 kVA, low-side (高供低计) below.
        connecting = lifecycle == c.LifecycleStatus.CONNECTING
        if not connecting:
            for k, _point in enumerate(spec.points):
                if total >= 315 or voltage != c.VoltageLevel.V10:
                    kv = PT_BY_VOLTAGE[voltage]
                    ct = ct_primary_for(float(total) / (math.sqrt(3) * kv / 1000))
                    ct_ratio, pt_ratio, mult = f"{ct}/5", f"{kv}/100", Decimal(ct // 5 * kv // 100)
                else:
                    ct = ct_primary_for(float(total) / (math.sqrt(3) * 0.4))
                    ct_ratio, pt_ratio, mult = f"{ct}/5", "1/1", Decimal(ct // 5)
                spec.meters.append((k, MeteringPoint(customer=customer, number=f"{number}-{k + 1}",
                                                     meter_no=f"33{rng.randrange(10**12):012d}",
                                                     ct_ratio=ct_ratio, pt_ratio=pt_ratio, multiplier=mult)))
            # Supply contract, in force; every tenth customer also keeps its expired predecessor.
            valid_from = today - timedelta(days=rng.randrange(30, 4 * 365))
            contract_no = f"GYD{valid_from.year}{i:07d}"
            spec.contracts.append(SupplyContract(customer=customer, number=contract_no, signed_on=valid_from - timedelta(days=rng.randrange(1, 20)),
                                                 valid_from=valid_from, valid_to=valid_from + timedelta(days=5 * 365),
                                                 property_boundary=rng.choice(BOUNDARIES)))
            if rng.random() < 0.1:
                old_to = valid_from - timedelta(days=1)
                spec.contracts.append(SupplyContract(customer=customer, number=f"GYD{old_to.year - 5}{i:07d}H",
                                                     signed_on=old_to - timedelta(days=5 * 365), valid_from=old_to - timedelta(days=5 * 365 - 1),
                                                     valid_to=old_to, property_boundary=spec.contracts[0].property_boundary))

        if lifecycle in (c.LifecycleStatus.ACTIVE,) and rng.random() < 0.04:
            self._inject_error(spec, rng.choice(ERROR_KINDS))
        return spec

    def _inject_error(self, spec: _Spec, kind: str) -> None:
        """Real-looking archive errors (seed 003-篇9), the kinds the quality page flags."""
        rng, cust = self.rng, spec.customer
        if kind == "capacity_mismatch":
            trs = [t for _k, t in spec.transformers if t.in_service]
            doubled = [t for t in trs if t.quantity > 1]
            if doubled:  # two units recorded as one: under-billing
                doubled[0].quantity -= 1
            elif len(trs) > 1:
                trs[-1].in_service = False
            else:  # a capacity increase never reflected in the contract capacity
                cust.contract_capacity_kva = cust.operating_capacity_kva = trs[0].capacity_kva * 2
                cust.pf_standard = c.expected_pf_standard(cust.usage_category, cust.industry, cust.voltage_level,
                                                          cust.contract_capacity_kva)
        elif kind == "multiplier_mismatch" and spec.meters:
            mp = spec.meters[0][1]
            ct, _sec = mp.ct_ratio.split("/")
            old = next((p for p in reversed(CT_PRIMARIES) if p < int(ct)), int(ct) * 2)
            mp.ct_ratio = f"{ct}/5"
            mp.multiplier = mp.multiplier / Decimal(ct) * Decimal(old)  # CT replaced, multiplier not
        elif kind == "missing_supply_line":
            spec.points[0].supply_line = None
            spec.points[0].substation_id = None
        elif kind == "contract_expired" and spec.contracts:
            ct = spec.contracts[0]
            ct.valid_to = self.today - timedelta(days=rng.randrange(5, 700))
            ct.valid_from = ct.valid_to - timedelta(days=5 * 365)
            ct.signed_on = ct.valid_from
            spec.contracts[1:] = []
        elif kind == "pf_standard_mismatch":
            others = [v for v in (c.PFStandard.PF090, c.PFStandard.PF085, c.PFStandard.PF080) if v != cust.pf_standard]
            cust.pf_standard = rng.choice(others)
        elif kind == "identity_missing":
            if cust.customer_type == c.CustomerType.PERSON:
                cust.id_number = ""
            else:
                cust.credit_code = cust.business_licence_no = ""
        else:
            return
        self.errors[kind] += 1


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

def _org_and_staff(password_hash: str) -> tuple[list[OrgUnit], dict[str, Staff]]:
    company, _ = OrgUnit.objects.get_or_create(code=COMPANY[0], defaults={"name": COMPANY[1], "kind": OrgUnit.Kind.COMPANY})
    units = {company.code: company}
    stations = []
    for rcode, rname, sts in REGIONS:
        region, _ = OrgUnit.objects.get_or_create(code=rcode, defaults={"name": rname, "kind": OrgUnit.Kind.REGION, "parent": company})
        units[rcode] = region
        for scode, sname in sts:
            st, _ = OrgUnit.objects.get_or_create(code=scode, defaults={"name": sname, "kind": OrgUnit.Kind.STATION, "parent": region})
            units[scode] = st
            stations.append(st)
    rng = random.Random(2026)
    staff = {}
    for n, login in enumerate(demo_staff_plan(), start=1):
        is_admin = login.role == Role.ADMIN
        user = Staff.objects.filter(username=login.username).first()
        if user is None:
            user = Staff(username=login.username, full_name=person_name(rng), role=login.role,
                         org_unit=units[login.unit_code], employee_no=f"DK{n:04d}", phone=_mobile(rng),
                         is_staff=is_admin, is_superuser=is_admin, password=password_hash)
            user.save()
        staff[login.username] = user
    return stations, staff


def _grid(stations: list[OrgUnit]) -> dict[int, dict[str, list[SupplyLine]]]:
    by_region: dict[str, dict[str, list[SupplyLine]]] = {}
    for rcode, subs in SUBSTATIONS.items():
        region = OrgUnit.objects.get(code=rcode)
        lines: dict[str, list[SupplyLine]] = {}
        for sname, line_names in subs:
            voltage = sname.split("kV")[0] + "kV"
            sub, _ = Substation.objects.get_or_create(name=sname, defaults={"voltage_level": voltage, "org_unit": region})
            for k, lname in enumerate(line_names):
                lv = _line_voltage(sname, k)
                line, _ = SupplyLine.objects.get_or_create(substation=sub, name=f"{lv}{lname}线", defaults={"voltage_level": lv})
                lines.setdefault(line.voltage_level, []).append(line)
        by_region[rcode] = lines
    # 35 kV / 110 kV customers may be fed from any substation of the company; 10 kV from their region.
    everywhere: dict[str, list[SupplyLine]] = {}
    for lines in by_region.values():
        for v, ls in lines.items():
            everywhere.setdefault(v, []).extend(ls)
    result = {}
    for st in stations:
        own = dict(by_region[st.parent.code])
        for v in (c.VoltageLevel.V35, c.VoltageLevel.V110):
            own[v] = everywhere.get(v, [])
        result[st.pk] = own
    return result


def load_demo(*, scale: int = DEFAULT_SCALE, seed: int = 1, today: date | None = None,
              evaluate: bool = True, log=None) -> dict:
    """Create the demo company and `scale` customers. Returns counts for the command to print."""
    today = today or timezone.localdate()
    log = log or (lambda msg: None)
    with transaction.atomic():
        stations, staff = _org_and_staff(make_password(DEMO_PASSWORD))
        lines = _grid(stations)
    portfolio: dict[int, list[int]] = {}
    for user in staff.values():
        if user.role in (Role.MANAGER, Role.SPECIALIST):
            portfolio.setdefault(user.org_unit_id, []).append(user.pk)
    gen = DemoGenerator(seed, today, stations, portfolio, lines)
    counts = {"customers": 0, "contacts": 0, "supply_points": 0, "transformers": 0, "metering_points": 0,
              "contracts": 0, "key_accounts": 0}
    now = timezone.now()
    with quality.suspended():
        for start in range(0, scale, BATCH):
            specs = [gen.customer(i) for i in range(start, min(scale, start + BATCH))]
            _write_batch(specs, now, counts)
            log(f"  {counts['customers']:,} customers")
    counts["staff"] = len(staff)
    counts["errors_injected"] = dict(gen.errors)
    if evaluate:
        counts["quality"] = quality.evaluate_all(today=today)
    return counts


def _write_batch(specs: list[_Spec], now, counts: dict) -> None:
    with transaction.atomic():
        customers = [s.customer for s in specs]
        Customer.objects.bulk_create(customers)
        Customer.history.bulk_history_create(customers, default_date=now, default_change_reason="demo data")
        points = [p for s in specs for p in s.points]
        SupplyPoint.objects.bulk_create(points)
        trs, mps = [], []
        for s in specs:
            for k, t in s.transformers:
                t.supply_point = s.points[k]
                trs.append(t)
            for k, mp in s.meters:
                mp.supply_point = s.points[k]
                mps.append(mp)
        contacts = [ct for s in specs for ct in s.contacts]
        contracts = [ct for s in specs for ct in s.contracts]
        Transformer.objects.bulk_create(trs)
        MeteringPoint.objects.bulk_create(mps)
        Contact.objects.bulk_create(contacts)
        SupplyContract.objects.bulk_create(contracts)
    counts["customers"] += len(customers)
    counts["key_accounts"] += sum(1 for cu in customers if cu.is_key_account)
    counts["contacts"] += len(contacts)
    counts["supply_points"] += len(points)
    counts["transformers"] += len(trs)
    counts["metering_points"] += len(mps)
    counts["contracts"] += len(contracts)
