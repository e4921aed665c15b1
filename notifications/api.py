"""Borrower API: own inbox messages, marking them read, notification settings."""

from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Notification
from .registry import Channel, registry
from .selectors import inbox_for_user, inbox_get_for_user, legal_notice_labels, preference_choices
from .services import notification_mark_read, preferences_update


class NotificationOutput(serializers.ModelSerializer):
    title = serializers.CharField(source="subject")
    body = serializers.CharField(source="body_text")
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "event",
            "category",
            "is_legal_notice",
            "title",
            "body",
            "link",
            "created_at",
            "read_at",
            "is_read",
        ]

    def get_is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class NotificationListApi(ListAPIView):
    """The signed-in user's inbox messages, newest first (paginated)."""

    serializer_class = NotificationOutput

    def get_queryset(self):
        return inbox_for_user(user=self.request.user)


class NotificationReadApi(APIView):
    """Mark one of your inbox messages read. Another person's id answers 404."""

    @extend_schema(request=None, responses=NotificationOutput)
    def post(self, request, pk: int):
        try:
            message = inbox_get_for_user(user=request.user, notification_id=pk)
        except Notification.DoesNotExist:
            raise NotFound(_("No such message.")) from None
        message = notification_mark_read(notification=message)
        return Response(NotificationOutput(message).data)


class PreferenceItem(serializers.Serializer):
    category = serializers.ChoiceField(choices=())  # the registered categories, see __init__
    channel = serializers.ChoiceField(choices=Channel.choices)
    enabled = serializers.BooleanField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The apps register their categories at start-up, after this module is imported.
        self.fields["category"].choices = [(c.name, c.label) for c in registry.categories()]


class PreferencesInput(serializers.Serializer):
    preferences = PreferenceItem(many=True, allow_empty=False)


class PreferencesOutput(serializers.Serializer):
    preferences = PreferenceItem(many=True)
    legal_notice_rule = serializers.CharField()


def legal_rule() -> str:
    """The rule in words, naming the registered legal notices (in English, like the API)."""
    with translation.override("en"):
        notices = ", ".join(label.lower() for label in legal_notice_labels())
    return f"Legal notices ({notices}) always reach the inbox, whatever these settings say."


def _output(user) -> dict:
    items = [
        {"category": category, "channel": channel, "enabled": enabled}
        for (category, channel), enabled in preference_choices(user=user).items()
    ]
    return PreferencesOutput({"preferences": items, "legal_notice_rule": legal_rule()}).data


class PreferencesApi(APIView):
    """Your notification settings per category and channel."""

    @extend_schema(responses=PreferencesOutput)
    def get(self, request):
        return Response(_output(request.user))

    @extend_schema(request=PreferencesInput, responses=PreferencesOutput)
    def put(self, request):
        data = PreferencesInput(data=request.data)
        data.is_valid(raise_exception=True)
        choices = {
            (item["category"], item["channel"]): item["enabled"]
            for item in data.validated_data["preferences"]
        }
        try:
            preferences_update(user=request.user, choices=choices)
        except ValueError as exc:
            raise serializers.ValidationError({"preferences": [str(exc)]}) from None
        return Response(_output(request.user), status=status.HTTP_200_OK)
