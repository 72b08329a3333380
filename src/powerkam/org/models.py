"""Org units (company → region → station, any depth), staff and their roles."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class OrgUnit(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        REGION = "region", _("Region / branch")
        STATION = "station", _("Supply station")
        DEPARTMENT = "department", _("Department")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    # Materialised path "/1/4/17/": a subtree is one indexed prefix match on any database.
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["path"]
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def save(self, *args, **kwargs):
        from django.core.exceptions import ValidationError

        if self.pk and self.parent_id:
            parent_path = OrgUnit.objects.filter(pk=self.parent_id).values_list("path", flat=True).first() or ""
            if f"/{self.pk}/" in parent_path:
                raise ValidationError(_("An org unit cannot be placed under itself or its own sub-unit."))
        old_path = self.path
        super().save(*args, **kwargs)
        parent_path = self.parent.path if self.parent_id else "/"
        new_path = f"{parent_path}{self.pk}/"
        if new_path != old_path:
            OrgUnit.objects.filter(pk=self.pk).update(path=new_path)
            self.path = new_path
            if old_path:
                for child in OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                    child.path = new_path + child.path[len(old_path):]
                    OrgUnit.objects.filter(pk=child.pk).update(path=child.path)

    def subtree(self):
        return OrgUnit.objects.filter(path__startswith=self.path)


class Role(models.TextChoices):
    MANAGER = "manager", _("Key account manager")
    SPECIALIST = "specialist", _("Key account specialist")
    CLERK = "clerk", _("Back-office clerk")
    SUPERVISOR = "supervisor", _("Supervisor")
    EXECUTIVE = "executive", _("Executive (read-only)")
    ADMIN = "admin", _("Administrator")


# What each role sees (DOMAIN.md "Who uses it"; issue #2 "Visibility").
PORTFOLIO_ROLES = {Role.MANAGER, Role.SPECIALIST}
SUBTREE_ROLES = {Role.SUPERVISOR, Role.CLERK}
COMPANY_ROLES = {Role.EXECUTIVE, Role.ADMIN}
READ_ONLY_ROLES = {Role.EXECUTIVE}
# Roles that may see full ID numbers of persons; everyone else sees them masked.
FULL_ID_ROLES = {Role.ADMIN, Role.CLERK, Role.SUPERVISOR}
# Roles that may import and manage archive data in bulk.
IMPORT_ROLES = {Role.ADMIN, Role.CLERK, Role.SUPERVISOR}


class Staff(AbstractUser):
    """A staff account. Its role and org unit decide what it sees (core.scoping)."""

    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    employee_no = models.CharField(_("employee number"), max_length=32, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MANAGER)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="staff",
    )
    # Kept by org.two_factor (from the TOTP devices and the two-step rules) so that the check on
    # every request reads the user row it already has and costs no query.
    two_step_on = models.BooleanField(_("two-step login on"), default=False, editable=False)
    two_step_due = models.DateTimeField(_("two-step login required from"), null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["password", "last_login", "two_step_on", "two_step_due"])

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    @property
    def is_read_only(self) -> bool:
        return self.role in READ_ONLY_ROLES and not self.is_superuser

    @property
    def can_see_full_id(self) -> bool:
        return self.is_superuser or self.role in FULL_ID_ROLES

    @property
    def can_import(self) -> bool:
        return self.is_superuser or self.role in IMPORT_ROLES


class TwoStepRule(models.Model):
    """Who must use two-step login (issue #9 item 1): one row per role, or one for every
    superuser whatever the role. A person it covers has `grace_days` from the rule's start (or
    from joining, when later) to turn it on; until then every page reminds them, afterwards they
    can reach only the account security page (the API answers 403)."""

    SUPERUSERS = "superuser"
    AUDIENCES = [*Role.choices, (SUPERUSERS, _("Superusers (any role)"))]

    audience = models.CharField(_("applies to"), max_length=16, choices=AUDIENCES, unique=True)
    grace_days = models.PositiveSmallIntegerField(_("grace period (days)"), default=7)
    since = models.DateTimeField(_("required since"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["audience"]
        verbose_name = _("two-step login rule")
        verbose_name_plural = _("two-step login rules")

    def __str__(self) -> str:
        return str(self.get_audience_display())

    def covers(self, staff: "Staff") -> bool:
        return self.audience == staff.role or (self.audience == self.SUPERUSERS and staff.is_superuser)
