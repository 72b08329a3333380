"""Survey pages: the public one-time answer page (no login) and the staff pages."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from powerkam.core.params import record_id
from powerkam.core.permissions import require_writer
from powerkam.core.scoping import get_visible_or_404, visible_customers
from powerkam.customers import constants as cc
from powerkam.customers.models import Customer
from powerkam.imports.exports import FORMATS, Column, export_response
from powerkam.org.models import OrgUnit
from powerkam.org.selectors import org_unit_options, visible_portfolio_staff

from . import constants as c
from . import selectors, services
from .models import SurveyResponse

# --- public answer page (no login) -------------------------------------------------------------

LINK_PAGES = {
    # reason: (HTTP status, heading, message)
    "invalid": (404, gettext_lazy("This survey link is not valid"),
                gettext_lazy("The link is incomplete or has been altered. Please open the link exactly as you received it.")),
    "expired": (410, gettext_lazy("This survey link has expired"),
                gettext_lazy("The survey is closed. Thank you all the same; you can always reach your account manager.")),
    "used": (410, gettext_lazy("This survey has already been answered"),
             gettext_lazy("Each link can be answered once, and your answer is recorded. Thank you.")),
}


def _link_page(request, reason: str):
    status, heading, message = LINK_PAGES[reason]
    return render(request, "surveys/answer_done.html",
                  {"result": reason, "heading": heading, "message": message}, status=status)


def _questions(invitation, data: dict, errors: dict) -> list[dict]:
    items = [("overall", _("Overall satisfaction"), True)]
    if invitation.kind != c.Kind.EXIT:
        items += [(name, str(label), False) for name, label in c.ASPECTS]
    questions = []
    for name, label, required in items:
        try:
            value = int(data.get(name) or 0)
        except ValueError:
            value = 0
        questions.append({"name": name, "label": label, "required": required, "value": value,
                          "error": (errors.get(name) or [""])[0]})
    return questions


@never_cache
def answer(request, token: str):
    """The mobile survey page a customer opens from the e-mail or SMS link."""
    try:
        invitation = services.invitation_for_token(token)
    except services.LinkError as exc:
        return _link_page(request, exc.reason)
    data: dict = {}
    errors: dict = {}
    if request.method == "POST":
        data = request.POST.dict()
        try:
            services.submit_response(token, data)
        except services.LinkError as exc:
            return _link_page(request, exc.reason)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            return render(request, "surveys/answer_done.html", {
                "result": "thanks", "heading": _("Thank you for your answer"),
                "message": _("Your feedback goes straight to your account manager and helps us improve.")})
    context = {"invitation": invitation, "questions": _questions(invitation, data, errors),
               "scores": range(c.SCORE_MIN, c.SCORE_MAX + 1), "exit_reasons": c.ExitReason.choices,
               "data": data, "errors": errors}
    return render(request, "surveys/answer.html", context, status=400 if errors else 200)


# --- staff pages --------------------------------------------------------------------------------

LIST_SORTS = {"-sent": "-sent_at", "sent": "sent_at", "customer": "customer__number", "-answered": "-answered_at"}


def _date(value: str | None):
    try:
        return parse_date(value) if value else None
    except ValueError:
        return None


def _filtered_invitations(request):
    g = request.GET
    params = {"q": g.get("q", "").strip(), "state": g.get("state", ""), "kind": g.get("kind", ""),
              "channel": g.get("channel", ""), "from": g.get("from", ""), "to": g.get("to", ""),
              "sort": g.get("sort") if g.get("sort") in LIST_SORTS else "-sent"}
    qs = selectors.invitations(request.user)
    if params["q"]:
        q = params["q"]
        qs = qs.filter(Q(customer__name__icontains=q) | Q(customer__number=q) | Q(address__icontains=q)
                       | Q(contact__name__icontains=q))
    if params["state"] in c.Status.values:
        qs = qs.filter(state=params["state"])
    if params["kind"] in c.Kind.values:
        qs = qs.filter(kind=params["kind"])
    if params["channel"] in c.Channel.values:
        qs = qs.filter(channel=params["channel"])
    qs = selectors.period_filter(qs, _date(params["from"]), _date(params["to"]), field="sent_at")
    return qs.order_by(LIST_SORTS[params["sort"]], "-id"), params


INVITATION_COLUMNS = [
    Column(gettext_lazy("sent at"), lambda i: i.sent_at),
    Column(gettext_lazy("survey kind"), lambda i: i.get_kind_display()),
    Column(gettext_lazy("customer number"), lambda i: i.customer.number),
    Column(gettext_lazy("customer name"), lambda i: i.customer.name),
    Column(gettext_lazy("unit"), lambda i: i.customer.org_unit.name),
    Column(gettext_lazy("contact"), lambda i: i.contact.name if i.contact_id else ""),
    Column(gettext_lazy("delivery channel"), lambda i: i.get_channel_display()),
    Column(gettext_lazy("address"), lambda i: i.address),
    Column(gettext_lazy("status"), lambda i: str(c.Status(i.state).label)),
    Column(gettext_lazy("expires at"), lambda i: i.expires_at),
    Column(gettext_lazy("answered at"), lambda i: i.answered_at),
    Column(gettext_lazy("delivery error"), lambda i: i.delivery_error),
]


@login_required
def survey_list(request):
    qs, params = _filtered_invitations(request)
    fmt = request.GET.get("export")
    if fmt:
        if fmt not in FORMATS:
            raise Http404
        return export_response(qs.iterator(chunk_size=2000), INVITATION_COLUMNS, fmt=fmt, filename=_("surveys"))
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    context = {"nav": "service", "page": page, "params": params, "target": "#survey-table",
               "states": c.Status.choices, "kinds": c.Kind.choices, "channels": c.Channel.choices}
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        response = render(request, "surveys/_table.html", context)
    else:
        # Closed customers (last 90 days) still without an exit survey: one button each.
        since = timezone.localdate() - timedelta(days=90)
        context["pending_exit"] = list(
            visible_customers(request.user)
            .filter(lifecycle_status=cc.LifecycleStatus.CLOSED, closed_on__gte=since)
            .exclude(survey_invitations__kind=c.Kind.EXIT).order_by("-closed_on", "number")[:20])
        context["can_send"] = not request.user.is_read_only
        response = render(request, "surveys/list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def send_exit_survey(request):
    require_writer(request.user)
    customer = get_visible_or_404(Customer.objects.all(), request.user, pk=request.POST.get("customer") or 0)
    if not customer.is_closed:
        messages.error(request, _("%(customer)s is not closed; the exit survey is for customers who left.")
                       % {"customer": customer.name})
    else:
        invitation = services.request_exit_survey(customer, request.user)
        if invitation.deduplicated:
            messages.info(request, _("%(customer)s's contact was already sent an exit survey at %(when)s; "
                                     "no second message was sent.")
                          % {"customer": customer.name,
                             "when": timezone.localtime(invitation.sent_at).strftime("%Y-%m-%d %H:%M")})
        elif invitation.status == c.Status.FAILED:
            messages.warning(request, _("Exit survey for %(customer)s not delivered: %(error)s")
                             % {"customer": customer.name, "error": invitation.delivery_error})
        else:
            messages.success(request, _("Exit survey sent to %(customer)s by %(channel)s.")
                             % {"customer": customer.name, "channel": invitation.get_channel_display()})
    return redirect("surveys:list")


# --- satisfaction analysis ----------------------------------------------------------------------

DIMENSION_LABELS = {"unit": gettext_lazy("Unit"), "manager": gettext_lazy("Key account manager"),
                    "category": gettext_lazy("Ticket type"), "month": gettext_lazy("Month"),
                    "kind": gettext_lazy("Survey kind")}


def _period(request):
    """The `from`/`to` dates asked for; by default the last twelve calendar months."""
    today = timezone.localdate()
    default_start = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    return _date(request.GET.get("from")) or default_start, _date(request.GET.get("to")) or today


def _analysis(request):
    start, end = _period(request)
    by = request.GET.get("by") if request.GET.get("by") in selectors.DIMENSIONS else "unit"
    qs = selectors.period_filter(selectors.responses(request.user).exclude(kind=c.Kind.EXIT), start, end)
    params = {"by": by, "from": start.isoformat(), "to": end.isoformat(), "kind": request.GET.get("kind", ""),
              "unit": request.GET.get("unit", ""), "manager": request.GET.get("manager", ""),
              "category": request.GET.get("category", "")}
    if params["kind"] in (c.Kind.TICKET, c.Kind.VISIT):
        qs = qs.filter(kind=params["kind"])
    if unit_id := record_id(params["unit"]):
        unit = OrgUnit.objects.filter(pk=unit_id).first()
        qs = qs.filter(org_unit__path__startswith=unit.path) if unit else qs.none()
    if manager_id := record_id(params["manager"]):
        qs = qs.filter(manager_id=manager_id)
    if params["category"]:
        qs = qs.filter(category=params["category"])
    rows = selectors.satisfaction_by(qs, by, category_labels=c.CATEGORY_LABELS)
    return rows, selectors.totals(qs), params


def _analysis_columns(by: str):
    return [
        Column(DIMENSION_LABELS[by], lambda r: r.label),
        Column(gettext_lazy("responses"), lambda r: r.responses),
        Column(gettext_lazy("overall satisfaction"), lambda r: r.overall),
        Column(gettext_lazy("responsiveness"), lambda r: r.responsiveness),
        Column(gettext_lazy("professionalism"), lambda r: r.professionalism),
        Column(gettext_lazy("communication"), lambda r: r.communication),
        Column(gettext_lazy("satisfied (4–5) %"), lambda r: r.satisfied_rate),
        Column(gettext_lazy("dissatisfied (1–2)"), lambda r: r.dissatisfied),
    ]


@login_required
def analysis(request):
    rows, total, params = _analysis(request)
    fmt = request.GET.get("export")
    if fmt:
        if fmt not in FORMATS:
            raise Http404
        return export_response([*rows, total], _analysis_columns(params["by"]), fmt=fmt,
                               filename=_("satisfaction-analysis"))
    chart = {"labels": [r.label for r in rows], "overall": [r.overall for r in rows],
             "responses": [r.responses for r in rows], "satisfied_rate": [r.satisfied_rate for r in rows],
             "series_names": {"overall": _("Average overall score"), "responses": _("Responses"),
                              "satisfied_rate": _("Satisfied %")}}
    context = {"nav": "service", "rows": rows, "total": total, "params": params, "chart": chart,
               "dimensions": list(DIMENSION_LABELS.items()), "dimension_label": DIMENSION_LABELS[params["by"]],
               "org_units": org_unit_options(request.user),
               "managers": list(visible_portfolio_staff(request.user).order_by("full_name", "username")),
               "categories": list(c.CATEGORY_LABELS.items()), "kinds": [k for k in c.Kind.choices if k[0] != c.Kind.EXIT]}
    return render(request, "surveys/analysis.html", context)


# --- customer loss rate -------------------------------------------------------------------------


@login_required
def loss(request):
    today = timezone.localdate()
    start = _date(request.GET.get("from")) or today.replace(month=1, day=1)
    end = _date(request.GET.get("to")) or today
    if end < start:
        messages.error(request, _("The period must end after it starts."))
        end = start
    rows, total = selectors.loss_by_unit(request.user, start, end)
    lost = selectors.lost_customers(request.user, start, end)
    fmt = request.GET.get("export")
    if fmt:
        if fmt not in FORMATS:
            raise Http404
        columns = [Column(gettext_lazy("unit"), lambda r: r.unit),
                   Column(gettext_lazy("active at start"), lambda r: r.active_at_start),
                   Column(gettext_lazy("lost in period"), lambda r: r.lost),
                   Column(gettext_lazy("loss rate %"), lambda r: r.rate)]
        return export_response([*rows, total], columns, fmt=fmt, filename=_("customer-loss-rate"))
    lost_page = Paginator(lost, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    page_ids = [cu.pk for cu in lost_page]
    answers = {r.customer_id: r for r in SurveyResponse.objects.filter(kind=c.Kind.EXIT, customer_id__in=page_ids)}
    for cu in lost_page:
        cu.exit_answer = answers.get(cu.pk)
    lost_page.elided_range = list(lost_page.paginator.get_elided_page_range(lost_page.number))
    context = {"nav": "service", "rows": rows, "total": total, "page": lost_page,
               "reasons": selectors.exit_reasons(request.user, start, end),
               "params": {"from": start.isoformat(), "to": end.isoformat()},
               "chart": {"labels": [r.unit for r in rows], "rates": [r.rate for r in rows],
                         "name": _("Loss rate %")}}
    return render(request, "surveys/loss.html", context)


# --- customer 360 tab ---------------------------------------------------------------------------


@login_required
def customer_tab(request, pk: int):
    """The customer's surveys and answers (an htmx fragment on the 360 page): 3 queries."""
    customer = get_visible_or_404(Customer.objects.all(), request.user, pk=pk)
    rows = list(selectors.invitations(request.user).filter(customer=customer).order_by("-sent_at", "-id")[:50])
    answered = [i.response for i in rows if i.state == c.Status.ANSWERED and i.kind != c.Kind.EXIT]
    average = round(sum(a.overall for a in answered) / len(answered), 2) if answered else None
    return render(request, "surveys/customer_tab.html", {"customer": customer, "rows": rows, "average": average,
                                                         "answered": len(answered)})
