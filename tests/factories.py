"""factory-boy factories: one per model, valid by default."""

from datetime import date
from decimal import Decimal

import factory

from powerkam.customers import constants as c
from powerkam.customers.models import (
    Contact,
    Customer,
    MeteringPoint,
    Substation,
    SupplyContract,
    SupplyLine,
    SupplyPoint,
    Transformer,
)
from powerkam.customers.validators import USCC_CHARSET, id_check_char, uscc_check_char
from powerkam.org.models import OrgUnit, Role, Staff


def make_uscc(n: int) -> str:
    body = f"91{320100 + n % 99:06d}" + "".join(USCC_CHARSET[(n // 31**i) % 31] for i in range(9))
    return body + uscc_check_char(body)


def make_id_number(n: int) -> str:
    body = f"320102{1970 + n % 40}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return body + id_check_char(body)


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"单位{n}")
    kind = OrgUnit.Kind.STATION
    parent = None


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    full_name = factory.Sequence(lambda n: f"员工{n}")
    role = Role.MANAGER
    org_unit = factory.SubFactory(OrgUnitFactory)
    password = factory.PostGenerationMethodCall("set_password", "Passw0rd-Test!")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SubstationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Substation

    name = factory.Sequence(lambda n: f"{n}号110kV变电站")


class SupplyLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplyLine

    substation = factory.SubFactory(SubstationFactory)
    name = factory.Sequence(lambda n: f"10kV线路{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    number = factory.Sequence(lambda n: f"31{n:08d}")
    name = factory.Sequence(lambda n: f"测试客户{n}有限公司")
    credit_code = factory.Sequence(make_uscc)
    legal_representative = "张三"
    industry = "C"
    usage_category = c.UsageCategory.LARGE_INDUSTRY
    voltage_level = c.VoltageLevel.V10
    contract_capacity_kva = Decimal("800")
    operating_capacity_kva = Decimal("800")
    basic_charge_method = c.BasicChargeMethod.CAPACITY
    pf_standard = c.PFStandard.PF090
    org_unit = factory.SubFactory(OrgUnitFactory)
    primary_manager = None


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
    role = c.ContactRole.ELECTRICIAN
    mobile = factory.Sequence(lambda n: f"139{n:08d}")


class SupplyPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplyPoint

    customer = factory.SubFactory(CustomerFactory)
    name = "1号电源"
    supply_line = factory.SubFactory(SupplyLineFactory)
    substation = factory.SelfAttribute("supply_line.substation")
    capacity_kva = Decimal("800")


class TransformerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transformer

    customer = factory.SubFactory(CustomerFactory)
    model_no = "SCB13-400/10"
    capacity_kva = Decimal("400")
    quantity = 2


class MeteringPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeteringPoint

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"MP{n:06d}")
    meter_no = factory.Sequence(lambda n: f"M{n:08d}")
    ct_ratio = "75/5"
    pt_ratio = "10000/100"
    multiplier = Decimal("1500")


class SupplyContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplyContract

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"GYD-{n:06d}")
    signed_on = date(2024, 1, 1)
    valid_from = date(2024, 1, 1)
    valid_to = date(2029, 12, 31)
    property_boundary = "客户10kV进线电缆终端头"


def complete_customer(**kwargs) -> Customer:
    """A customer whose archive passes every data-quality rule."""
    customer = CustomerFactory(**kwargs)
    SupplyPointFactory(customer=customer)
    TransformerFactory(customer=customer)
    MeteringPointFactory(customer=customer)
    SupplyContractFactory(customer=customer)
    return customer
