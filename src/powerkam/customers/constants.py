"""Archive code lists, each with its source. UI labels are translated; codes are stable."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerType(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    INSTITUTION = "institution", _("Public institution")
    PERSON = "person", _("Individual")


# GB/T 4754-2017 国民经济行业分类, sections (门类) A–T.
class Industry(models.TextChoices):
    A = "A", _("A Agriculture, forestry, animal husbandry and fishery")
    B = "B", _("B Mining")
    C = "C", _("C Manufacturing")
    D = "D", _("D Electricity, heat, gas and water production and supply")
    E = "E", _("E Construction")
    F = "F", _("F Wholesale and retail trade")
    G = "G", _("G Transport, storage and post")
    H = "H", _("H Accommodation and catering")
    I = "I", _("I Information transmission, software and IT services")  # noqa: E741
    J = "J", _("J Finance")
    K = "K", _("K Real estate")
    L = "L", _("L Leasing and business services")
    M = "M", _("M Scientific research and technical services")
    N = "N", _("N Water conservancy, environment and public facilities")
    O = "O", _("O Resident services, repair and other services")  # noqa: E741
    P = "P", _("P Education")
    Q = "Q", _("Q Health and social work")
    R = "R", _("R Culture, sports and entertainment")
    S = "S", _("S Public administration, social security and social organisations")
    T = "T", _("T International organisations")


# Sections counted as "industrial" for the power-factor standard (1983 rules, Art. 2).
INDUSTRIAL_SECTIONS = {"B", "C", "D"}


# 用电类别 as in the provincial catalogue price tables (发改价格〔2021〕1439 keeps these groups).
class UsageCategory(models.TextChoices):
    LARGE_INDUSTRY = "large_industry", _("Large industry")
    GENERAL_COMMERCIAL = "general_commercial", _("General industry and commerce")
    AGRICULTURE = "agriculture", _("Agricultural production")
    RESIDENTIAL = "residential", _("Residential")


class VoltageLevel(models.TextChoices):
    V0_4 = "0.4kV", _("Below 1 kV (0.4 kV)")
    V10 = "10kV", _("10 kV")
    V20 = "20kV", _("20 kV")
    V35 = "35kV", _("35 kV")
    V110 = "110kV", _("110 kV")
    V220 = "220kV", _("220 kV and above")


HIGH_VOLTAGE_LEVELS = {"10kV", "20kV", "35kV", "110kV", "220kV"}


class LifecycleStatus(models.TextChoices):
    POTENTIAL = "potential", _("Potential")
    CONNECTING = "connecting", _("Connecting")
    ACTIVE = "active", _("In supply")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


# GB/Z 29328-2012 重要电力用户供电电源及自备应急电源配置技术规范: importance classes.
class ImportanceLevel(models.TextChoices):
    NONE = "none", _("Ordinary user")
    SPECIAL = "special", _("Special-class important user")
    FIRST = "first", _("First-class important user")
    SECOND = "second", _("Second-class important user")
    TEMPORARY = "temporary", _("Temporary important user")


class Scope(models.TextChoices):  # seed 002: segmentation by scope
    GLOBAL = "global", _("Global")
    NATIONAL = "national", _("National")
    REGIONAL = "regional", _("Regional")


class CooperationDepth(models.TextChoices):  # seed 002: segmentation by cooperation depth
    PREFERRED_SUPPLIER = "preferred_supplier", _("Preferred supplier")
    PARTNERSHIP = "partnership", _("Partnership")
    STRATEGIC = "strategic", _("Strategic partnership")


class KeyAccountTier(models.TextChoices):  # seed 001: visit frequency follows the tier
    PREMIUM = "premium", _("Premium")
    MEDIUM = "medium", _("Medium")
    GENERAL = "general", _("General")


class BasicChargeMethod(models.TextChoices):
    NONE = "none", _("Single-part (no basic charge)")
    CAPACITY = "capacity", _("By capacity")
    DEMAND = "demand", _("By maximum demand")


class PFStandard(models.TextChoices):  # 功率因数调整电费办法 (水电部、国家物价局 1983)
    PF090 = "0.90", "0.90"
    PF085 = "0.85", "0.85"
    PF080 = "0.80", "0.80"
    NONE = "none", _("Not assessed")


class SourceType(models.TextChoices):
    MAIN = "main", _("Main supply")
    BACKUP = "backup", _("Backup supply")


class ContactRole(models.TextChoices):
    LEGAL_REP = "legal_rep", _("Legal representative")
    MANAGER = "manager", _("Person in charge")
    ELECTRICIAN = "electrician", _("Electrician")
    FINANCE = "finance", _("Finance contact")
    OTHER = "other", _("Other")


def expected_pf_standard(usage_category: str, industry: str, voltage_level: str,
                         capacity_kva: Decimal | None) -> str:
    """The PF standard the 1983 rules (功率因数调整电费办法, Art. 2) assign to a user.

    - 0.90: high-voltage industrial users of 160 kVA and above;
    - 0.85: other industrial users and non-industrial users of 100 kVA and above;
    - 0.80: agricultural users of 100 kVA and above;
    - below 100 kVA (and residential users): not assessed.
    """
    if capacity_kva is None or capacity_kva < 100 or usage_category == UsageCategory.RESIDENTIAL:
        return PFStandard.NONE
    if usage_category == UsageCategory.AGRICULTURE:
        return PFStandard.PF080
    industrial = usage_category == UsageCategory.LARGE_INDUSTRY or industry in INDUSTRIAL_SECTIONS
    if industrial and voltage_level in HIGH_VOLTAGE_LEVELS and capacity_kva >= 160:
        return PFStandard.PF090
    return PFStandard.PF085
