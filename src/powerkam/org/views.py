"""Portfolio pages: who maintains how many customers (the 1:15 rule), and reassignment."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login

from powerkam.core.scoping import get_visible_or_404, visible_customers
from powerkam.customers import services
from powerkam.customers.constants import LifecycleStatus
from powerkam.customers.forms import ReassignForm, apply_validation_error
from powerkam.customers.models import Customer
from powerkam.imports.exports import FORMATS, Column, export_response

from . import selectors, two_factor
from .forms import CodeForm, LoginForm


def _unit_filter(request):
    try:
        unit_id = int(request.GET.get("org_unit", ""))
    except ValueError:
        return None
    return selectors.visible_org_units(request.user).filter(pk=unit_id).first()


PORTFOLIO_COLUMNS = (
    Column(gettext_lazy("staff member"), lambda r: r.staff.display_name),
    Column(gettext_lazy("employee number"), lambda r: r.staff.employee_no),
    Column(gettext_lazy("role"), lambda r: r.staff.get_role_display()),
    Column(gettext_lazy("org unit"), lambda r: r.staff.org_unit.name if r.staff.org_unit else ""),
    Column(gettext_lazy("As primary manager"), lambda r: r.primary),
    Column(gettext_lazy("As secondary manager"), lambda r: r.secondary),
    Column(gettext_lazy("Portfolio size"), lambda r: r.total),
    Column(gettext_lazy("Key accounts"), lambda r: r.key_accounts),
    Column(gettext_lazy("1:15 rule"), lambda r: r.flag_label),
)


@login_required
def portfolios(request):
    user = request.user
    unit = _unit_filter(request)
    rows = selectors.portfolio_rows(user, org_unit=unit)
    counts = {flag: sum(1 for r in rows if r.flag == flag) for flag in selectors.PortfolioFlag.LABELS}
    return render(request, "org/portfolios.html", {
        "nav": "portfolios",
        "rows": rows,
        "unit": unit,
        "org_units": selectors.org_unit_options(user),
        "counts": counts,
        "min_customers": selectors.PORTFOLIO_MIN_CUSTOMERS,
        "far_above": selectors.portfolio_far_above(),
        "export_formats": FORMATS,
    })


@login_required
def portfolios_export(request):
    rows = selectors.portfolio_rows(request.user, org_unit=_unit_filter(request))
    return export_response(rows, PORTFOLIO_COLUMNS, fmt=request.GET.get("fmt", "xlsx"), filename=_("portfolios"))


@login_required
def portfolio_detail(request, staff_pk: int):
    """One manager's portfolio: the customers they maintain, visible to the viewer."""
    user = request.user
    staff = selectors.visible_portfolio_staff(user).filter(pk=staff_pk).first()
    if staff is None:
        raise Http404
    customers = (
        visible_customers(user)
        .filter(Q(primary_manager=staff) | Q(secondary_manager=staff))
        .exclude(lifecycle_status=LifecycleStatus.CLOSED)
        .select_related("org_unit", "primary_manager", "secondary_manager")
        .order_by("-is_key_account", "number")
    )
    page = Paginator(customers, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return render(request, "org/portfolio_detail.html", {
        "nav": "portfolios", "staff": staff, "page": page,
        "can_reassign": selectors.can_reassign(user),
    })


@login_required
def reassign(request, pk: int):
    """A supervisor or administrator moves a customer to another primary/secondary manager."""
    user = request.user
    if not selectors.can_reassign(user):
        raise PermissionDenied(_("Only supervisors and administrators reassign customers."))
    customer = get_visible_or_404(
        Customer.objects.select_related("org_unit", "primary_manager", "secondary_manager"), user, pk=pk)
    form = ReassignForm(request.POST or None, user=user, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_customer(customer, actor=user,
                                     primary_manager=form.cleaned_data["primary_manager"],
                                     secondary_manager=form.cleaned_data["secondary_manager"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Managers of %(name)s updated.") % {"name": customer.name})
            nxt = request.POST.get("next", "")
            if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
                return redirect(nxt)
            if visible_customers(user).filter(pk=customer.pk).exists():
                return redirect("customers:detail", pk=customer.pk)
            return redirect("org:portfolios")
    return render(request, "org/reassign.html", {
        "nav": "portfolios", "form": form, "customer": customer, "next": request.GET.get("next", ""),
    })


# --- account security: optional two-step login ----------------------------------------------------


class LoginView(auth_views.LoginView):
    """Django's login view with the two-step code (org.forms.LoginForm); a verified device is
    recorded on the session (django-otp) so `request.user.is_verified()` tells."""

    authentication_form = LoginForm

    def form_valid(self, form):
        response = super().form_valid(form)
        device = getattr(form, "otp_device", None)
        if device is not None:
            otp_login(self.request, device)
        return response

    def get_success_url(self):
        # Someone whose role must use two-step login and who has not turned it on yet goes to
        # Account security first (the reminder says until when).
        user = self.request.user
        if not user.two_step_on and user.two_step_due is not None:
            return reverse("org:security")
        return super().get_success_url()


def admin_login(request):
    """/admin/login/ is the application's login page (with the two-step code), never Django
    admin's password-only form."""
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


@login_required
def security(request):
    """Account security: turn two-step login on (QR code, then a code to confirm) or off."""
    user = request.user
    form = CodeForm(request.POST or None)
    action = request.POST.get("action", "")
    if request.method == "POST":
        try:
            if action == "start":
                two_factor.start_enrollment(user)
                return redirect("org:security")
            if action == "cancel":
                two_factor.TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                return redirect("org:security")
            if form.is_valid():
                if action == "confirm":
                    device = two_factor.confirm_enrollment(user, form.cleaned_data["code"])
                    otp_login(request, device)  # this session gave the code; others must log in again
                    messages.success(request, _("Two-step login is on. From now on, enter the code from the "
                                                "app after your password."))
                    return redirect("org:security")
                if action == "disable":
                    two_factor.disable(user, form.cleaned_data["code"])
                    messages.success(request, _("Two-step login is off."))
                    return redirect("org:security")
        except ValidationError as exc:
            apply_validation_error(form, exc)
    active = two_factor.active_device(user)
    pending = None if active else two_factor.pending_device(user)
    return render(request, "org/security.html", {
        "active": active, "pending": pending, "form": form,
        "qr": two_factor.qr_svg(pending) if pending else "",
        "secret": two_factor.secret_base32(pending) if pending else "",
    })
