from powerkam.service.visits import constants as c
from powerkam.service.visits.models import Visit


def done_visit(customer, day, *, assignee=None, findings="ok"):
    """A visit recorded in the past (fixture data; the record service is tested on its own)."""
    return Visit.objects.create(customer=customer, org_unit=customer.org_unit,
                                assignee=assignee or customer.primary_manager, source=c.VisitSource.CYCLE,
                                due_on=day, planned_on=day, status=c.VisitStatus.DONE, done_on=day, findings=findings)
