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
