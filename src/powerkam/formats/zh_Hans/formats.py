"""Django's zh_Hans formats with thousands separators (issue #10 item 6): Django groups Chinese
numbers by four digits with no separator ("1234567.89"); our users read 1,234,567.89 and
万元 (core/numbers.py), so floatformat:"g" and intcomma print the comma every three digits."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F401,F403 - dates, times, input formats

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
