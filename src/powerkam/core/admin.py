from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from . import holidays
from .models import Holiday, HolidayYear, Task


@admin.register(Holiday)
class HolidayAdmin(SimpleHistoryAdmin):
    list_display = ["date", "is_workday", "name", "source"]
    list_filter = ["is_workday", "source"]
    date_hierarchy = "date"
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        obj.source = Holiday.Source.ADMIN  # an admin's entry survives re-seeding from the package
        super().save_model(request, obj, form, change)


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["title", "kind", "assignee", "customer", "due_at", "status"]
    list_filter = ["kind", "status", "priority"]
    search_fields = ["title", "customer__name", "customer__number", "key"]
    raw_id_fields = ["assignee", "customer", "org_unit", "created_by", "closed_by"]
    readonly_fields = ["key", "created_at", "closed_at"]


class ArrangementImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Arrangement (xlsx)"))
    notice = forms.CharField(label=gettext_lazy("State Council notice"), max_length=120, required=False,
                             help_text=gettext_lazy("The notice the arrangement comes from, e.g. its document number."))


def _recompute_message(outcome: dict) -> str:
    if "job" in outcome:
        return _("%(n)s open provisional deadlines are being recomputed in the background.") % {"n": outcome["pending"]}
    return _("%(n)s open provisional deadlines recomputed.") % {"n": sum(outcome["recomputed"].values())}


@admin.register(HolidayYear)
class HolidayYearAdmin(SimpleHistoryAdmin):
    """The years whose arrangement is complete. Adding a year here (after entering its days in the
    holiday calendar) or importing it marks it covered and recomputes the provisional deadlines."""

    list_display = ["year", "source", "notice", "covered_at", "covered_by"]
    readonly_fields = ["source", "covered_at", "covered_by"]
    change_list_template = "admin/core/holidayyear/change_list.html"

    def save_model(self, request, obj, form, change):
        outcome = holidays.mark_year_covered(obj.year, actor=request.user, notice=obj.notice)
        obj.pk = HolidayYear.objects.get(year=obj.year).pk
        obj.refresh_from_db()
        self.message_user(request, _recompute_message(outcome), messages.SUCCESS)

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="core_holidayyear_import"),
            path("template/", self.admin_site.admin_view(self.template_view), name="core_holidayyear_template"),
            *super().get_urls(),
        ]

    def _check(self, request) -> None:
        if not (holidays.is_calendar_admin(request.user) and self.has_add_permission(request)):
            raise PermissionDenied

    def template_view(self, request):
        self._check(request)
        response = HttpResponse(holidays.arrangement_template_xlsx(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = 'attachment; filename="holiday-arrangement.xlsx"'
        return response

    def import_view(self, request):
        self._check(request)
        errors: list[str] = []
        form = ArrangementImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                outcome = holidays.import_arrangement(form.cleaned_data["file"].read(), actor=request.user,
                                                      notice=form.cleaned_data["notice"])
            except ValidationError as exc:
                errors = exc.messages
            else:
                self.message_user(request, _("%(year)s holiday arrangement entered: %(n)s days.") % {
                    "year": outcome["year"], "n": outcome["days"]} + " " + _recompute_message(outcome),
                    messages.SUCCESS)
                return redirect("admin:core_holidayyear_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "errors": errors, "title": _("Import a holiday arrangement")}
        return TemplateResponse(request, "admin/core/holidayyear/import.html", context)
