"""A closed ticket reads 已关闭 in Chinese, never 销户 (closing a customer account; DOMAIN.md glossary)."""

from django.utils.translation import override

from powerkam.customers.constants import LifecycleStatus
from powerkam.service.tickets import constants as c
from powerkam.service.tickets.views import analysis_sheets


def test_ticket_status_and_event_read_closed_not_account_closing():
    with override("zh-hans"):
        assert str(c.Status.CLOSED.label) == "已关闭"
        assert str(c.EventKind.CLOSED.label) == "已关闭"
        assert str(LifecycleStatus.CLOSED.label) == "销户"  # the customer's own word is unchanged


def test_analysis_page_and_export_say_closed_tickets(login, people):
    with override("zh-hans"):
        headers = [str(col.header) for _title, cols, _rows in analysis_sheets(
            {"by_type": [], "by_cause": [], "by_unit": [], "by_person": [], "stage_durations": [], "monthly": []})
            for col in cols]
    assert "已关闭" in headers and "销户" not in headers
    html = login(people["admin"]).get("/service/tickets/analysis/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已关闭" in html and "销户" not in html
