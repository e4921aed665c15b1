from rest_framework import serializers


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(
        max_length=254, help_text="Email address or mobile number, as on the sign-in page."
    )
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Shown once. Send it as 'Authorization: Bearer …'.")
    token_type = serializers.CharField(default="Bearer")
    prefix = serializers.CharField(help_text="The first characters, to recognise it later.")
    expires_at = serializers.DateTimeField(allow_null=True)


class PolicyVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    document = serializers.CharField(
        help_text="credit_agreement, privacy_policy or automated_decisions."
    )
    version = serializers.CharField()
    effective_on = serializers.DateField()
    title = serializers.CharField(help_text="In the request's language.")
    text = serializers.CharField(help_text="The full text, in the request's language.")
    changes = serializers.CharField(
        help_text="What changed since the previous version ('' if none)."
    )
    accepted = serializers.BooleanField()


class ConsentsSerializer(serializers.Serializer):
    pending = serializers.BooleanField(
        help_text="Whether some version in force is not accepted yet."
    )
    documents = PolicyVersionSerializer(many=True)


class ConsentAcceptSerializer(serializers.Serializer):
    versions = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=10,
        help_text="The ids of the versions read and accepted (from GET /api/v1/consents/).",
    )
