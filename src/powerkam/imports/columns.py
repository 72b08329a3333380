"""What each import kind's spreadsheet looks like: its columns, their headers (Chinese as in
the template, English accepted too), how a cell is parsed and which values a choice accepts.

Headers and the Chinese names of choice values are spreadsheet template text (issue #2 item 6),
kept here as data; the terms follow docs/glossary.md. Everything a user reads in the UI stays
English in gettext.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from powerkam.customers import constants as c
from powerkam.customers.models import (
    Contact,
    Customer,
    MeteringPoint,
    SupplyContract,
    SupplyPoint,
    Transformer,
)
from powerkam.customers.validators import validate_id_number, validate_ratio, validate_uscc

# The five archive kinds, registered by services.py; other apps register theirs in registry.py.
KINDS = ("customers", "contacts", "supply_points", "transformers", "metering_points")
KIND_LABELS = {
    "customers": gettext_lazy("Customers"),
    "contacts": gettext_lazy("Contacts"),
    "supply_points": gettext_lazy("Supply points"),
    "transformers": gettext_lazy("Transformers"),
    "metering_points": gettext_lazy("Metering points"),
}
KIND_MODELS: dict[str, type[models.Model]] = {
    "customers": Customer,
    "contacts": Contact,
    "supply_points": SupplyPoint,
    "transformers": Transformer,
    "metering_points": MeteringPoint,
}

# Chinese names of choice codes (glossary; GB/T 4754 section names; GB/Z 29328 classes).
CHOICE_ALIASES: dict[type[models.TextChoices], dict[str, tuple[str, ...]]] = {
    c.CustomerType: {"enterprise": ("企业",), "institution": ("事业单位", "机关事业单位", "机关"),
                     "person": ("个人", "自然人")},
    c.Industry: {
        "A": ("农、林、牧、渔业", "农林牧渔业"), "B": ("采矿业",), "C": ("制造业",),
        "D": ("电力、热力、燃气及水生产和供应业",), "E": ("建筑业",), "F": ("批发和零售业",),
        "G": ("交通运输、仓储和邮政业",), "H": ("住宿和餐饮业",),
        "I": ("信息传输、软件和信息技术服务业",), "J": ("金融业",), "K": ("房地产业",),
        "L": ("租赁和商务服务业",), "M": ("科学研究和技术服务业",),
        "N": ("水利、环境和公共设施管理业",), "O": ("居民服务、修理和其他服务业",), "P": ("教育",),
        "Q": ("卫生和社会工作",), "R": ("文化、体育和娱乐业",),
        "S": ("公共管理、社会保障和社会组织",), "T": ("国际组织",),
    },
    c.UsageCategory: {"large_industry": ("大工业", "大工业用电"),
                      "general_commercial": ("一般工商业", "一般工商业及其他", "一般工商业用电"),
                      "agriculture": ("农业生产", "农业", "农业生产用电"),
                      "residential": ("居民生活", "居民", "居民生活用电")},
    c.VoltageLevel: {"0.4kV": ("0.4千伏", "380V", "220V", "低压", "0.38kV"), "10kV": ("10千伏",),
                     "20kV": ("20千伏",), "35kV": ("35千伏",), "110kV": ("110千伏",),
                     "220kV": ("220千伏", "220kV及以上", "220千伏及以上")},
    c.LifecycleStatus: {"potential": ("潜在", "潜在客户"), "connecting": ("报装中", "接电中"),
                        "active": ("在供", "正常", "正常用电"), "suspended": ("暂停", "暂停用电"),
                        "closed": ("销户", "已销户")},
    c.ImportanceLevel: {"none": ("普通用户", "普通", "一般用户"), "special": ("特级", "特级重要用户"),
                        "first": ("一级", "一级重要用户"), "second": ("二级", "二级重要用户"),
                        "temporary": ("临时性", "临时性重要用户", "临时")},
    c.Scope: {"global": ("全球",), "national": ("全国",), "regional": ("区域", "地区")},
    c.CooperationDepth: {"preferred_supplier": ("首选供应商", "优先供应商"),
                         "partnership": ("合作伙伴", "伙伴关系"),
                         "strategic": ("战略合作伙伴", "战略伙伴关系", "战略伙伴")},
    c.KeyAccountTier: {"premium": ("优质",), "medium": ("中等",), "general": ("一般",)},
    c.BasicChargeMethod: {"none": ("单一制", "不计收", "无"), "capacity": ("按容量", "按容量计收"),
                          "demand": ("按最大需量", "按需量", "按需量计收")},
    c.PFStandard: {"0.90": ("0.9",), "0.85": (), "0.80": ("0.8",), "none": ("不考核", "无")},
    c.SourceType: {"main": ("主供", "主供电源", "主电源"), "backup": ("备用", "备用电源", "备供")},
    c.ContactRole: {"legal_rep": ("法定代表人",), "manager": ("负责人",), "electrician": ("电工",),
                    "finance": ("财务", "财务联系人"), "other": ("其他",)},
}

TRUE_WORDS = {"是", "y", "yes", "true", "1", "t", "√", "有"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "f", "×", "无"}


class NotGiven:
    """An empty cell: on create the model default applies, on update the value is kept."""


NOT_GIVEN = NotGiven()


def _norm(value: str) -> str:
    return re.sub(r"\s+", "", value).replace("（", "(").replace("）", ")").lower()


def normalize_header(value: Any) -> str:
    return _norm(str(value or "")).rstrip("*")


def cell_text(value: Any) -> str:
    """A cell as text: xlsx numbers that are whole print without '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if not (value.hour or value.minute or value.second) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


# ---------------------------------------------------------------------------- parsers
# Each parser takes a non-empty cell and returns the value, or raises ValueError(message).

def parse_text(value: Any, spec: ColumnSpec) -> str:
    text = cell_text(value)
    if spec.max_length and len(text) > spec.max_length:
        raise ValueError(_("At most %(n)s characters (got %(got)s).") % {"n": spec.max_length, "got": len(text)})
    return text


def parse_decimal(value: Any, spec: ColumnSpec) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(_("Enter a number."))
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        try:
            number = Decimal(str(value).strip().replace(",", "").replace("，", ""))
        except InvalidOperation:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": cell_text(value)}) from None
    if not number.is_finite():
        raise ValueError(_("“%(value)s” is not a number.") % {"value": cell_text(value)})
    if number < 0:
        raise ValueError(_("Must not be negative (got %(value)s).") % {"value": cell_text(value)})
    # Before quantize: 1e30 has more digits than Decimal's context and quantize would raise.
    if number >= Decimal("1e10"):
        raise ValueError(_("The number is too large."))
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and number != number.quantize(Decimal("0.01")):
        raise ValueError(_("At most 2 decimal places."))
    return number.quantize(Decimal("0.01"))


def parse_positive_int(value: Any, spec: ColumnSpec) -> int:
    number = parse_decimal(value, spec)
    if number != number.to_integral_value() or number < 1:
        raise ValueError(_("Enter a whole number of at least 1."))
    return int(number)


def parse_bool(value: Any, spec: ColumnSpec) -> bool:
    if isinstance(value, bool):
        return value
    text = _norm(cell_text(value))
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(_("Enter 是 or 否 (yes or no)."))


def parse_date(value: Any, spec: ColumnSpec) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text)  # the usual 2024-05-31, without strptime
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(_("“%(value)s” is not a date; write it as 2024-05-31.") % {"value": text})


def parse_choice(value: Any, spec: ColumnSpec) -> str:
    text = _norm(cell_text(value))
    code = spec.choice_lookup().get(text)
    if code is None:
        raise ValueError(_("“%(value)s” is not an allowed value. Allowed: %(allowed)s.")
                         % {"value": cell_text(value), "allowed": spec.allowed_values_text()})
    return code


def _validated(validator: Callable[[str], None], text: str) -> str:
    try:
        validator(text)
    except ValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from None
    return text


def parse_uscc(value: Any, spec: ColumnSpec) -> str:
    return _validated(validate_uscc, cell_text(value).upper())


def parse_id_number(value: Any, spec: ColumnSpec) -> str:
    return _validated(validate_id_number, cell_text(value).upper())


def parse_ratio(value: Any, spec: ColumnSpec) -> str:
    text = cell_text(value).replace("／", "/").replace(" ", "")
    _validated(validate_ratio, text)
    return parse_text(text, spec)


def parse_email(value: Any, spec: ColumnSpec) -> str:
    return _validated(validate_email, parse_text(value, spec))


PHONE_RE = re.compile(r"^\+?[\d\- ()]{5,}$")


def parse_phone(value: Any, spec: ColumnSpec) -> str:
    text = parse_text(value, spec)
    if not PHONE_RE.match(text):
        raise ValueError(_("“%(value)s” is not a phone number.") % {"value": text})
    return text


# ---------------------------------------------------------------------------- specs

@dataclass(frozen=True)
class ColumnSpec:
    field: str  # model attribute, or a reference resolved by the importer
    zh: str  # header in the template
    en: str  # English header, also accepted
    parse: Callable[[Any, ColumnSpec], Any] = parse_text
    required: bool = False  # the column must be present and its cells filled
    choices: type[models.TextChoices] | None = None
    max_length: int | None = None
    help: Any = ""  # lazy English text for the explanation sheet
    example: str = ""
    aliases: tuple[str, ...] = ()
    _lookup: dict = field(default_factory=dict, compare=False, repr=False)

    def header_keys(self) -> set[str]:
        return {normalize_header(h) for h in (self.zh, self.en, self.field, *self.aliases) if h}

    def choice_lookup(self) -> dict[str, str]:
        """Code, Chinese names and translated labels (every UI language) → code. Built once."""
        if not self._lookup and self.choices is not None:
            lookup: dict[str, str] = {}
            for code, label in self.choices.choices:
                lookup[_norm(code)] = code
                for alias in CHOICE_ALIASES.get(self.choices, {}).get(code, ()):
                    lookup[_norm(alias)] = code
                for lang in ("en", "zh-hans"):
                    with translation.override(lang):
                        lookup.setdefault(_norm(str(label)), code)
                if self.choices is c.Industry:  # "C", "C 制造业", "C制造业"
                    for alias in CHOICE_ALIASES[c.Industry][code]:
                        lookup[_norm(code + alias)] = code
            self._lookup.update(lookup)
        return self._lookup

    def allowed_values_text(self) -> str:
        if self.choices is None:
            return ""
        parts = []
        for code, _label in self.choices.choices:
            names = CHOICE_ALIASES.get(self.choices, {}).get(code, ())
            parts.append(f"{names[0]}（{code}）" if names else code)
        return "、".join(parts)


def _model_max_length(model: type[models.Model], name: str) -> int | None:
    try:
        return model._meta.get_field(name).max_length
    except Exception:  # a reference column, not a model field
        return None


def col(model: type[models.Model], field_name: str, zh: str, en: str, parse=parse_text, **kw) -> ColumnSpec:
    kw.setdefault("max_length", _model_max_length(model, field_name))
    if kw.get("choices") is not None:
        parse = parse_choice
    return ColumnSpec(field=field_name, zh=zh, en=en, parse=parse, **kw)


CUSTOMER_NUMBER_REF = "customer_number"


def customer_ref(model) -> ColumnSpec:
    return ColumnSpec(field=CUSTOMER_NUMBER_REF, zh="客户编号", en="Customer number", required=True,
                      max_length=Customer._meta.get_field("number").max_length,
                      aliases=("户号", "customer"),
                      help=gettext_lazy("Number of an existing customer you may see."), example="3100000001")


M = Customer
CUSTOMER_COLUMNS = (
    col(M, "number", "客户编号", "Customer number", required=True, aliases=("户号",),
        help=gettext_lazy("Unique customer number; an existing number updates that customer."), example="3100000001"),
    col(M, "name", "客户名称", "Customer name", required=True, help=gettext_lazy("Full registered name."),
        example="示例科技有限公司"),
    col(M, "customer_type", "客户类型", "Customer type", choices=c.CustomerType, example="企业"),
    col(M, "credit_code", "统一社会信用代码", "Unified social credit code", parse_uscc,
        help=gettext_lazy("18 characters with a valid check character (GB 32100)."), example="91320100MA1P5JQ8RG"),
    col(M, "business_licence_no", "营业执照号", "Business licence number"),
    col(M, "legal_representative", "法定代表人", "Legal representative", example="张三"),
    col(M, "id_number", "身份证号码", "ID card number", parse_id_number, aliases=("身份证号",),
        help=gettext_lazy("18 characters with a valid check digit (GB 11643).")),
    col(M, "address", "地址", "Address"),
    col(M, "usage_category", "用电类别", "Usage category", choices=c.UsageCategory, example="大工业"),
    col(M, "industry", "行业分类", "Industry", choices=c.Industry, aliases=("行业分类(gb/t4754)",),
        help=gettext_lazy("GB/T 4754 section letter or its name."), example="C"),
    col(M, "voltage_level", "电压等级", "Voltage level", choices=c.VoltageLevel, example="10kV"),
    col(M, "contract_capacity_kva", "合同容量(kVA)", "Contract capacity (kVA)", parse_decimal,
        aliases=("合同容量",), help=gettext_lazy("Non-negative number, at most 2 decimal places."), example="800"),
    col(M, "operating_capacity_kva", "运行容量(kVA)", "Operating capacity (kVA)", parse_decimal,
        aliases=("运行容量",), help=gettext_lazy("Non-negative number, at most 2 decimal places."), example="800"),
    col(M, "lifecycle_status", "客户状态", "Lifecycle status", choices=c.LifecycleStatus, example="在供"),
    col(M, "importance_level", "重要用户等级", "Importance level", choices=c.ImportanceLevel, example="普通用户"),
    col(M, "scope", "客户范围", "Scope", choices=c.Scope, example="区域"),
    col(M, "cooperation_depth", "合作深度", "Cooperation depth", choices=c.CooperationDepth),
    col(M, "is_key_account", "是否大客户", "Key account", parse_bool, help=gettext_lazy("是 or 否."), example="是"),
    col(M, "ka_tier", "大客户等级", "Key account tier", choices=c.KeyAccountTier, example="优质"),
    col(M, "tariff_code", "电价代码", "Tariff code"),
    col(M, "basic_charge_method", "基本电费计收方式", "Basic charge method", choices=c.BasicChargeMethod,
        example="按容量"),
    col(M, "pf_standard", "功率因数考核标准", "Power factor standard", choices=c.PFStandard, example="0.90"),
    col(M, "tou_enabled", "是否执行分时电价", "Time-of-use pricing", parse_bool, aliases=("分时电价",), example="是"),
    col(M, "org_unit", "所属供电所编码", "Org unit code", required=True,
        aliases=("所属供电所(code)", "所属供电所(编码)", "所属供电所", "供电所编码", "supply station code",
                 "所属供电所名称", "供电所名称", "org unit"),
        max_length=100, help=gettext_lazy("Code or name of the org unit (supply station), inside your unit; the "
                                          "codes are listed on the sheet 供电单位."),
        example="S1"),
    col(M, "primary_manager", "客户经理用户名", "Manager username", max_length=150,
        aliases=("客户经理(username)", "客户经理(用户名)", "客户经理", "主客户经理", "primary manager"),
        help=gettext_lazy("Login name of a key account manager or specialist. Empty for a new customer: you, "
                          "if you hold a portfolio (who develops it maintains it).")),
    col(M, "secondary_manager", "副客户经理用户名", "Secondary manager username", max_length=150,
        aliases=("副客户经理(username)", "副客户经理(用户名)", "副客户经理", "secondary manager"),
        help=gettext_lazy("1+1 dual managers: a different manager or specialist.")),
    col(M, "opened_on", "送电日期", "Supply opened on", parse_date, help=gettext_lazy("Date, e.g. 2024-05-31."),
        example="2024-05-31"),
    col(M, "notes", "备注", "Notes", max_length=5000),
)

CONTACT_COLUMNS = (
    customer_ref(Contact),
    col(Contact, "name", "姓名", "Name", required=True, aliases=("联系人", "联系人姓名"), example="李四"),
    col(Contact, "role", "联系人角色", "Role", choices=c.ContactRole, aliases=("角色",), example="电工"),
    col(Contact, "title", "职务", "Job title"),
    col(Contact, "mobile", "手机", "Mobile", parse_phone, aliases=("手机号", "手机号码"), example="13900000000"),
    col(Contact, "phone", "电话", "Phone", parse_phone, aliases=("固定电话",)),
    col(Contact, "email", "邮箱", "Email", parse_email, aliases=("电子邮箱",)),
    col(Contact, "is_primary", "是否主要联系人", "Primary contact", parse_bool, example="否"),
    col(Contact, "birthday", "生日", "Birthday", parse_date),
)

SUPPLY_POINT_COLUMNS = (
    customer_ref(SupplyPoint),
    col(SupplyPoint, "name", "电源名称", "Supply point", required=True, aliases=("供电电源点",), example="1号电源"),
    col(SupplyPoint, "substation", "变电站", "Substation", max_length=100,
        help=gettext_lazy("Name of an existing substation."), example="1号110kV变电站"),
    col(SupplyPoint, "supply_line", "供电线路", "Supply line", max_length=100,
        help=gettext_lazy("Name of an existing supply line of that substation."), example="10kV线路1"),
    col(SupplyPoint, "source_type", "电源类型", "Source type", choices=c.SourceType, example="主供"),
    col(SupplyPoint, "voltage_level", "电压等级", "Voltage level", choices=c.VoltageLevel, example="10kV"),
    col(SupplyPoint, "capacity_kva", "容量(kVA)", "Capacity (kVA)", parse_decimal, aliases=("容量",), example="800"),
)

TRANSFORMER_COLUMNS = (
    customer_ref(Transformer),
    col(Transformer, "supply_point", "所属电源", "Supply point", max_length=100,
        help=gettext_lazy("Name of one of the customer's supply points.")),
    col(Transformer, "model_no", "型号", "Model", aliases=("变压器型号",), example="SCB13-400/10"),
    col(Transformer, "serial_no", "出厂编号", "Serial number", aliases=("序列号",),
        help=gettext_lazy("Identifies the transformer; without it, model and capacity do.")),
    col(Transformer, "capacity_kva", "容量(kVA)", "Capacity (kVA)", parse_decimal, required=True,
        aliases=("容量",), example="400"),
    col(Transformer, "quantity", "台数", "Quantity", parse_positive_int, aliases=("数量",), example="2"),
    col(Transformer, "in_service", "是否运行", "In service", parse_bool, aliases=("运行",), example="是"),
)

METERING_POINT_COLUMNS = (
    customer_ref(MeteringPoint),
    col(MeteringPoint, "number", "计量点编号", "Metering point number", required=True, example="MP000001"),
    col(MeteringPoint, "meter_no", "电能表编号", "Meter number", aliases=("表号",)),
    col(MeteringPoint, "ct_ratio", "电流互感器变比", "CT ratio", parse_ratio, aliases=("ct变比",),
        help=gettext_lazy("primary/secondary, e.g. 200/5."), example="75/5"),
    col(MeteringPoint, "pt_ratio", "电压互感器变比", "PT ratio", parse_ratio, aliases=("pt变比",),
        help=gettext_lazy("primary/secondary, e.g. 10000/100."), example="10000/100"),
    col(MeteringPoint, "multiplier", "倍率", "Multiplier", parse_decimal,
        help=gettext_lazy("Empty for a new metering point: CT ratio × PT ratio."), example="1500"),
    col(MeteringPoint, "supply_point", "所属电源", "Supply point", max_length=100,
        help=gettext_lazy("Name of one of the customer's supply points.")),
)

SUPPLY_CONTRACT_COLUMNS = (
    customer_ref(SupplyContract),
    col(SupplyContract, "number", "合同编号", "Contract number", required=True, aliases=("供用电合同编号",),
        help=gettext_lazy("Unique contract number; an existing number of the same customer updates it."),
        example="GYD-2026-0001"),
    col(SupplyContract, "signed_on", "签订日期", "Signed on", parse_date, example="2026-01-10"),
    col(SupplyContract, "valid_from", "生效日期", "Valid from", parse_date, required=True, aliases=("起始日期",),
        example="2026-01-15"),
    col(SupplyContract, "valid_to", "到期日期", "Valid to", parse_date, required=True, aliases=("终止日期",),
        help=gettext_lazy("Not before the start date."), example="2031-01-14"),
    col(SupplyContract, "property_boundary", "产权分界点", "Property boundary", example="10kV线路1 #12杆开关负荷侧"),
)

COLUMNS: dict[str, tuple[ColumnSpec, ...]] = {
    "customers": CUSTOMER_COLUMNS,
    "contacts": CONTACT_COLUMNS,
    "supply_points": SUPPLY_POINT_COLUMNS,
    "transformers": TRANSFORMER_COLUMNS,
    "metering_points": METERING_POINT_COLUMNS,
}


def header_index(kind: str) -> dict[str, ColumnSpec]:
    """Normalised header → column of any registered kind (registry.py)."""
    from .registry import get_kind

    index: dict[str, ColumnSpec] = {}
    for spec in get_kind(kind).columns:
        for key in spec.header_keys():
            index.setdefault(key, spec)
    return index
