"""{% load pk_numbers %}: money, kwh, wan_yuan, wan_kwh — figures as core/numbers.py writes them."""

from django import template

from powerkam.core import numbers

register = template.Library()

register.filter("money", numbers.money, is_safe=True)
register.filter("kwh", numbers.kwh, is_safe=True)
register.filter("wan_yuan", numbers.wan_yuan, is_safe=True)
register.filter("wan_kwh", numbers.wan_kwh, is_safe=True)
