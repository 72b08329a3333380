"""/api/v1/surveys/ (scoped list and detail of invitations with their answers) and the public
answer endpoint /api/v1/surveys/answer/<token>/ (no login: the signed one-time token is the key)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.urls import path
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from powerkam.core.permissions import StaffPermission
from powerkam.core.scoped import ScopedFilterSet
from powerkam.org.api import as_drf_error

from . import constants as c
from . import selectors, services
from .models import SurveyInvitation, SurveyResponse


class ResponseSerializer(serializers.ModelSerializer):
    class Meta:
        model = SurveyResponse
        fields = ["overall", "responsiveness", "professionalism", "communication", "exit_reason", "comment",
                  "answered_at", "manager", "org_unit"]


class InvitationSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    state = serializers.CharField(read_only=True, help_text="queued, sent, answered, expired or failed")
    subject_type = serializers.SerializerMethodField()
    response = serializers.SerializerMethodField()

    class Meta:
        model = SurveyInvitation
        fields = ["id", "kind", "customer", "customer_number", "customer_name", "subject_type", "subject_id",
                  "category", "contact", "channel", "address", "state", "delivery_error", "sent_at", "expires_at",
                  "answered_at", "response"]

    def get_subject_type(self, obj) -> str | None:
        return f"{obj.subject_type.app_label}.{obj.subject_type.model}" if obj.subject_type_id else None

    def get_response(self, obj) -> dict | None:
        answer = getattr(obj, "response", None) if obj.status == c.Status.ANSWERED else None
        return ResponseSerializer(answer).data if answer else None


class InvitationFilter(ScopedFilterSet):
    state = filters.ChoiceFilter(choices=c.Status.choices)
    sent_from = filters.DateFilter(field_name="sent_at", lookup_expr="date__gte")
    sent_to = filters.DateFilter(field_name="sent_at", lookup_expr="date__lte")
    q = filters.CharFilter(method="search")

    class Meta:
        model = SurveyInvitation
        fields = ["kind", "channel", "customer", "category", "state"]

    def search(self, qs, name, value):
        return qs.filter(Q(customer__name__icontains=value) | Q(customer__number=value))


class SurveyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Survey invitations of the customers you see, with the answer once given."""

    serializer_class = InvitationSerializer
    permission_classes = [StaffPermission]
    filterset_class = InvitationFilter
    ordering_fields = ["sent_at", "answered_at"]
    ordering = ["-sent_at"]

    def get_queryset(self):
        return selectors.invitations(self.request.user)


AnswerRequest = inline_serializer("SurveyAnswer", {
    "overall": serializers.IntegerField(min_value=c.SCORE_MIN, max_value=c.SCORE_MAX),
    "responsiveness": serializers.IntegerField(required=False),
    "professionalism": serializers.IntegerField(required=False),
    "communication": serializers.IntegerField(required=False),
    "exit_reason": serializers.ChoiceField(choices=c.ExitReason.choices, required=False),
    "comment": serializers.CharField(required=False)})
LINK_STATUS = {"invalid": status.HTTP_404_NOT_FOUND, "expired": status.HTTP_410_GONE, "used": status.HTTP_410_GONE}
LINK_DETAIL = {"invalid": "This survey link is not valid.", "expired": "This survey link has expired.",
               "used": "This survey has already been answered."}


@extend_schema(methods=["GET"], responses=inline_serializer("SurveyForm", {
    "kind": serializers.CharField(), "customer_name": serializers.CharField(),
    "expires_at": serializers.DateTimeField(), "questions": serializers.ListField(child=serializers.CharField())}))
@extend_schema(methods=["POST"], request=AnswerRequest, responses=ResponseSerializer)
@api_view(["GET", "POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def answer(request, token: str):
    """Public: open (GET) or answer (POST) a survey by its one-time token. 404 for a tampered or
    unknown token, 410 for an expired or already answered one, 400 for a score out of range."""
    try:
        if request.method == "GET":
            invitation = services.invitation_for_token(token)
            questions = ["overall"] + ([] if invitation.kind == c.Kind.EXIT else [a for a, _ in c.ASPECTS])
            if invitation.kind == c.Kind.EXIT:
                questions.append("exit_reason")
            return Response({"kind": invitation.kind, "customer_name": invitation.customer.name,
                             "expires_at": invitation.expires_at, "questions": questions + ["comment"]})
        data = {k: request.data.get(k) for k in ("overall", "responsiveness", "professionalism", "communication",
                                                 "exit_reason", "comment")}
        answer_row = services.submit_response(token, data)
    except services.LinkError as exc:
        return Response({"detail": LINK_DETAIL[exc.reason], "reason": exc.reason}, status=LINK_STATUS[exc.reason])
    except DjangoValidationError as exc:
        raise as_drf_error(exc) from exc
    return Response(ResponseSerializer(answer_row).data, status=status.HTTP_201_CREATED)


urlpatterns = [path("surveys/answer/<str:token>/", answer, name="survey-answer")]


def register(router) -> None:
    """Add this app's viewsets to the one /api/v1/ router."""
    router.register("surveys", SurveyViewSet, basename="survey")
