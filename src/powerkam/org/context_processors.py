def two_step(request):
    """The reminder every page shows while a role's grace period for two-step login runs."""
    from . import two_factor

    user = getattr(request, "user", None)
    return {"two_step_reminder": two_factor.reminder_due(user) if user is not None and user.is_authenticated else None}
