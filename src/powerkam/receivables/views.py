"""Receivables pages: payments (entry + list), a bill's collection page, the written notice, and
the collections board. Thin views: scope, parse, call services, render."""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from powerkam.billing.models import Bill
from powerkam.core.permissions import require_writer
from powerkam.core.scoping import get_visible_or_404, scope_to_user, visible_customers
from powerkam.imports.exports import FORMATS, export_response
from powerkam.org.selectors import org_unit_options, visible_portfolio_staff

from . import selectors, services, stop_supply
from .forms import (
    BlacklistAddForm,
    DecisionForm,
    ExtensionForm,
    LateFeePaidForm,
    PaymentForm,
    ReasonForm,
    RefundForm,
    StopDeliverForm,
    StopDoneForm,
    StopRemindForm,
    StopRequestForm,
    StopRestoreForm,
    apply_errors,
    new_idempotency_key,
)
from .models import (
    BlacklistEntry,
    CollectionNotice,
    Extension,
    LadderStep,
    LateFee,
    Payment,
    StopSupplyCase,
)


def _page(request, qs):
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def _partial_or_page(request, page: str, partial: str, context: dict):
    htmx = getattr(request, "htmx", None)
    response = render(request, partial if htmx and not htmx.history_restore_request else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- payments ------------------------------------------------------------------------------------

PAYMENT_SORTS = (("number", gettext_lazy("Number")), ("customer", gettext_lazy("Customer")),
                 ("received", gettext_lazy("Received on")), ("amount", gettext_lazy("Amount")))


@login_required
def payments(request):
    user = request.user
    form = PaymentForm(initial={"received_on": timezone.localdate(), "channel": Payment.Channel.BANK_TRANSFER,
                                "idempotency_key": new_idempotency_key()})
    duplicate_warning = False
    if request.method == "POST":
        require_writer(user)
        form = PaymentForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            customer = visible_customers(user).filter(number=d["customer_number"].strip()).first()
            if customer is None:
                form.add_error("customer_number", _("No customer with this number in your scope."))
            else:
                try:
                    payment = services.record_payment(
                        customer=customer, amount=d["amount"], channel=d["channel"], received_on=d["received_on"],
                        reference=d["reference"], payer=d["payer"], is_advance=d["is_advance"], note=d["note"],
                        actor=user, idempotency_key=d["idempotency_key"], confirm_duplicate=d["confirm_duplicate"])
                except ValidationError as exc:
                    duplicate_warning = any(e.code == services.DUPLICATE_REFERENCE
                                            for e in getattr(exc, "error_dict", {}).get("reference", []))
                    apply_errors(form, exc)
                else:
                    if getattr(payment, "replayed", False):
                        messages.info(request, _("Payment %(n)s was already recorded by this form; it was not "
                                                 "recorded a second time.") % {"n": payment.number})
                    else:
                        messages.success(request, _("Payment %(n)s recorded: %(a)s yuan allocated, %(r)s yuan "
                                                    "advance.") % {"n": payment.number, "a": payment.allocated_amount,
                                                                   "r": payment.unallocated})
                    return redirect("receivables:payment", pk=payment.pk)
    qs, sort = selectors.payments(user, request.GET)
    if request.GET.get("export") in FORMATS:
        return export_response(qs.iterator(chunk_size=2000), selectors.PAYMENT_COLUMNS, fmt=request.GET["export"],
                               filename=_("payments"))
    context = {
        "nav": "money", "page": _page(request, qs), "sort": sort, "sort_columns": PAYMENT_SORTS, "form": form,
        "params": request.GET, "channels": Payment.Channel.choices, "statuses": Payment.Status.choices,
        "export_formats": FORMATS, "can_edit": not user.is_read_only, "target": "#payment-table",
        "duplicate_warning": duplicate_warning,
    }
    return _partial_or_page(request, "receivables/payments.html", "receivables/_payment_table.html", context)


@login_required
def payment_detail(request, pk: int):
    payment = get_visible_or_404(Payment.objects.select_related("customer", "created_by", "reversed_by"),
                                 request.user, pk=pk)
    context = {
        "nav": "money", "payment": payment,
        "allocations": payment.allocations.select_related("bill").order_by("id"),
        "refunds": payment.refunds.select_related("created_by"),
        "reverse_form": ReasonForm(), "refund_form": RefundForm(initial={"amount": payment.unallocated, "idempotency_key": new_idempotency_key()}),
        "can_edit": not request.user.is_read_only,
    }
    return render(request, "receivables/payment_detail.html", context)


@login_required
@require_POST
def payment_reverse(request, pk: int):
    require_writer(request.user)
    payment = get_visible_or_404(Payment.objects.all(), request.user, pk=pk)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Give the reason for the reversal."))
        services.reverse_payment(payment, reason=form.cleaned_data["reason"], actor=request.user)
        messages.success(request, _("Payment reversed; the bills it paid are open again."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("receivables:payment", pk=pk)


@login_required
@require_POST
def payment_refund(request, pk: int):
    require_writer(request.user)
    payment = get_visible_or_404(Payment.objects.all(), request.user, pk=pk)
    form = RefundForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Give the amount and the reason for the refund."))
        refund = services.refund_advance(payment, amount=form.cleaned_data["amount"],
                                         reason=form.cleaned_data["reason"], actor=request.user,
                                         idempotency_key=form.cleaned_data["idempotency_key"])
        if not getattr(refund, "replayed", False):
            messages.success(request, _("Refund recorded."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("receivables:payment", pk=pk)


# --- a bill's collection page ---------------------------------------------------------------------

def _visible_bill(request, pk: int) -> Bill:
    return get_visible_or_404(Bill.objects.select_related("customer", "customer__primary_manager"), request.user, pk=pk)


@login_required
def bill_detail(request, pk: int):
    bill = _visible_bill(request, pk)
    today = timezone.localdate()
    try:
        as_of = date.fromisoformat(request.GET["as_of"]) if request.GET.get("as_of") else None
    except ValueError:
        as_of = None
    fee = LateFee.objects.filter(bill=bill).select_related("waived_by").first()
    penalty = services.bill_penalty(bill, as_of or (bill.paid_on if bill.status == Bill.Status.PAID else today))
    context = {
        "nav": "money", "bill": bill, "today": today, "penalty": penalty, "fee": fee,
        "due_on": services.effective_due_on(bill),
        "allocations": bill.allocations.select_related("payment").order_by("id"),
        "steps": LadderStep.objects.filter(bill=bill).select_related("task", "task__assignee"),
        "notice": CollectionNotice.objects.filter(bill=bill).only("pk", "number", "issued_on", "pay_by",
                                                                  "pay_by_provisional").first(),
        "extensions": Extension.objects.filter(bill=bill).select_related("requested_by", "decided_by"),
        "stop_cases": StopSupplyCase.objects.filter(bill=bill).select_related(
            "opened_by", "decided_by", "stop_notice_delivered_by", "reminded_by", "stopped_by", "restored_by"),
        "extension_form": ExtensionForm(), "decision_form": DecisionForm(), "waive_form": ReasonForm(),
        "paid_form": LateFeePaidForm(initial={"paid_on": today}),
        "can_edit": not request.user.is_read_only, "can_approve": services.can_approve(request.user),
    }
    return render(request, "receivables/bill_detail.html", context)


@login_required
@require_POST
def bill_extension(request, pk: int):
    require_writer(request.user)
    bill = _visible_bill(request, pk)
    form = ExtensionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Give the new due date and the reason."))
        services.request_extension(bill, new_due_on=form.cleaned_data["new_due_on"],
                                   reason=form.cleaned_data["reason"], actor=request.user)
        messages.success(request, _("Extension requested; a supervisor must approve it."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("receivables:bill", pk=pk)


@login_required
@require_POST
def extension_decide(request, pk: int):
    require_writer(request.user)
    ext = get_visible_or_404(Extension.objects.select_related("bill", "customer"), request.user, pk=pk)
    form = DecisionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose approve or reject."))
        services.decide_extension(ext, approve=form.cleaned_data["approve"], approver=request.user,
                                  note=form.cleaned_data["note"])
        messages.success(request, _("Decision recorded."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("receivables:bill", pk=ext.bill_id)


@login_required
@require_POST
def bill_waive(request, pk: int):
    require_writer(request.user)
    bill = _visible_bill(request, pk)
    try:
        services.waive_late_fee(bill, approver=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("Late-payment penalty waived."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("receivables:bill", pk=pk)


@login_required
@require_POST
def late_fee_paid(request, pk: int):
    require_writer(request.user)
    bill = _visible_bill(request, pk)
    form = LateFeePaidForm(request.POST)
    fee = LateFee.objects.filter(bill=bill).first()
    try:
        if fee is None or not form.is_valid():
            raise ValidationError(_("There is no charged penalty to mark paid."))
        services.mark_late_fee_paid(fee, paid_on=form.cleaned_data["paid_on"],
                                    reference=form.cleaned_data["reference"], actor=request.user)
        messages.success(request, _("Penalty marked paid."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("receivables:bill", pk=pk)


@login_required
def notice(request, pk: int):
    """The written notice exactly as generated (stored snapshot, with its print stylesheet)."""
    doc = get_visible_or_404(CollectionNotice.objects.all(), request.user, pk=pk)
    if not doc.pay_by_provisional:
        return HttpResponse(doc.html)
    # The document stays as sent; on screen only (never printed), say how its date was obtained.
    from powerkam.core.templatetags.calendar_marks import provisional_mark

    note = format_html('<p class="no-print" id="pay-by-provisional">[{}] {}</p>',
                       provisional_mark(True, doc.pay_by),
                       _("The pay-by date %(date)s was counted Monday to Friday: that year's holidays were not "
                         "entered when the notice was generated.") % {"date": doc.pay_by.isoformat()})
    return HttpResponse(doc.html.replace("<body>", f"<body>\n{note}", 1))


# --- collections board ------------------------------------------------------------------------------

BOARD_SORTS = (("name", gettext_lazy("Customer")), ("outstanding", gettext_lazy("Arrears (past due)")),
               ("overdue", gettext_lazy("Days overdue")), ("step", gettext_lazy("Ladder step")))
NOT_DUE_SORTS = (("name", gettext_lazy("Customer")), ("outstanding", gettext_lazy("Not yet due")),
                 ("overdue", gettext_lazy("Next due date")), ("step", gettext_lazy("Ladder step")))


@login_required
def board(request):
    user = request.user
    today = timezone.localdate()
    qs, sort = selectors.board(user, request.GET, today)
    step_labels = dict(LadderStep.Step.choices)
    if request.GET.get("export") in FORMATS:
        return export_response(qs.iterator(chunk_size=2000), selectors.board_columns(today, step_labels),
                               fmt=request.GET["export"], filename=_("collections"))
    page = _page(request, qs)
    for row in page.object_list:
        row.days_overdue = (today - row.oldest_due).days if row.oldest_due else 0
        row.outstanding = services.money(row.outstanding)
        row.not_due = services.money(row.not_due)
        row.step_label = step_labels.get(row.step, "")
    view = selectors.board_view(request.GET)
    context = {
        "nav": "money", "page": page, "sort": sort, "params": request.GET, "view": view,
        "sort_columns": BOARD_SORTS if view == "arrears" else NOT_DUE_SORTS,
        "steps": LadderStep.Step.choices, "export_formats": FORMATS, "target": "#board-table", "today": today,
    }
    if not getattr(request, "htmx", None):
        context["org_units"] = org_unit_options(user)
        context["managers"] = list(visible_portfolio_staff(user).order_by("full_name", "username"))
    return _partial_or_page(request, "receivables/board.html", "receivables/_board_table.html", context)


# --- stopping supply (停电催费) -----------------------------------------------------------------------

STOP_STEPS = {
    # step: (form, service call, success message)
    "request": (StopRequestForm, lambda case, d, user: stop_supply.request_approval(
        case, scheduled_stop_at=d["scheduled_stop_at"], actor=user), gettext_lazy("Approval requested.")),
    "deliver": (StopDeliverForm, lambda case, d, user: stop_supply.deliver_stop_notice(
        case, delivered_on=d["delivered_on"], authority_reported_on=d["authority_reported_on"], actor=user),
        gettext_lazy("Stop notice recorded as delivered.")),
    "remind": (StopRemindForm, lambda case, d, user: stop_supply.record_reminder(
        case, reminded_at=d["reminded_at"], actor=user), gettext_lazy("Reminder recorded.")),
    "stop": (StopDoneForm, lambda case, d, user: stop_supply.record_stop(
        case, stopped_at=d["stopped_at"], actor=user), gettext_lazy("Stop recorded.")),
    "restore": (StopRestoreForm, lambda case, d, user: stop_supply.restore(
        case, restored_at=d["restored_at"], actor=user), gettext_lazy("Restoration recorded.")),
    "decide": (DecisionForm, lambda case, d, user: stop_supply.decide(
        case, approve=d["approve"], approver=user, note=d["note"]), gettext_lazy("Decision recorded.")),
    "cancel": (ReasonForm, lambda case, d, user: stop_supply.cancel(
        case, reason=d["reason"], actor=user), gettext_lazy("Case cancelled.")),
}


def _stop_cases(user):
    return scope_to_user(StopSupplyCase.objects.select_related(
        "customer", "customer__org_unit", "bill", "notice", "opened_by", "approval_requested_by", "decided_by",
        "stop_notice_delivered_by", "reminded_by", "stopped_by", "restored_by"), user)


@login_required
@require_POST
def stop_case_open(request, pk: int):
    require_writer(request.user)
    bill = _visible_bill(request, pk)
    try:
        case = stop_supply.open_case(bill, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("receivables:bill", pk=pk)
    messages.success(request, _("Stop-supply case opened: set the planned stop and ask for approval."))
    return redirect("receivables:stop_case", pk=case.pk)


@login_required
def stop_case(request, pk: int):
    """A stop-supply case: its steps with their dates and people, and the form of the next step
    for whoever may take it."""
    case = get_object_or_404(_stop_cases(request.user), pk=pk)
    user = request.user
    forms = {}
    if request.method == "POST":
        require_writer(user)
        step = request.POST.get("step", "")
        if step not in STOP_STEPS:
            raise Http404
        form_class, call, message = STOP_STEPS[step]
        form = form_class(request.POST)
        if form.is_valid():
            try:
                call(case, form.cleaned_data, user)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, message)
                return redirect("receivables:stop_case", pk=pk)
        forms[step] = form
    writer = not user.is_read_only
    S = StopSupplyCase.Status
    allowed = set()
    if writer:
        if case.status == S.NOTICE_ISSUED:
            allowed.add("request")
        if case.status == S.APPROVAL_REQUESTED and stop_supply.is_unit_supervisor(user, case.customer):
            allowed.add("decide")
        allowed |= {S.APPROVED: {"deliver"}, S.STOP_NOTICE_DELIVERED: {"remind"}, S.REMINDED: {"stop"},
                    S.STOPPED: {"restore"}}.get(case.status, set())
        if case.status in (S.NOTICE_ISSUED, S.APPROVAL_REQUESTED, S.APPROVED, S.STOP_NOTICE_DELIVERED, S.REMINDED):
            allowed.add("cancel")
    for step in allowed:
        forms.setdefault(step, STOP_STEPS[step][0]())
    context = {"nav": "money", "case": case, "forms": forms, "important": stop_supply.is_important(case.customer),
               "history": case.history.select_related("history_user").order_by("history_date", "history_id")}
    return render(request, "receivables/stop_case.html", context)


# --- blacklist register ----------------------------------------------------------------------------

BLACKLIST_SORTS = (("customer", gettext_lazy("Customer")), ("listed", gettext_lazy("Listed on")))


@login_required
def blacklist(request):
    user = request.user
    form = BlacklistAddForm()
    if request.method == "POST":
        require_writer(user)
        form = BlacklistAddForm(request.POST)
        if form.is_valid():
            customer = visible_customers(user).filter(number=form.cleaned_data["customer_number"].strip()).first()
            if customer is None:
                form.add_error("customer_number", _("No customer with this number in your scope."))
            else:
                try:
                    stop_supply.add_to_blacklist(customer, reason=form.cleaned_data["reason"], actor=user)
                except ValidationError as exc:
                    apply_errors(form, exc)
                else:
                    messages.success(request, _("%(c)s listed on the blacklist.") % {"c": customer.name})
                    return redirect("receivables:blacklist")
    qs, sort = selectors.blacklist(user, request.GET)
    if request.GET.get("export") in FORMATS:
        return export_response(qs.iterator(chunk_size=2000), selectors.BLACKLIST_COLUMNS, fmt=request.GET["export"],
                               filename=_("blacklist"))
    page = _page(request, qs)
    for entry in page.object_list:
        entry.can_decide = stop_supply.is_unit_supervisor(user, entry.customer)
    context = {
        "nav": "money", "page": page, "sort": sort, "sort_columns": BLACKLIST_SORTS, "params": request.GET,
        "form": form, "export_formats": FORMATS, "can_edit": not user.is_read_only, "target": "#blacklist-table",
        "reason_form": ReasonForm(), "decision_form": DecisionForm(),
    }
    return _partial_or_page(request, "receivables/blacklist.html", "receivables/_blacklist_table.html", context)


@login_required
@require_POST
def blacklist_removal(request, pk: int):
    require_writer(request.user)
    entry = get_visible_or_404(BlacklistEntry.objects.select_related("customer", "customer__org_unit"),
                               request.user, pk=pk)
    try:
        if request.POST.get("approve") in ("0", "1"):
            form = DecisionForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose approve or reject."))
            stop_supply.decide_removal(entry, approve=form.cleaned_data["approve"], approver=request.user,
                                       note=form.cleaned_data["note"])
            messages.success(request, _("Decision recorded."))
        else:
            stop_supply.request_removal(entry, reason=request.POST.get("reason", ""), actor=request.user)
            messages.success(request, _("Removal requested; a supervisor of the customer's unit must approve it."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("receivables:blacklist") + f"?q={entry.customer.number}")
