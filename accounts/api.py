"""Borrower API tokens: exchange a username and password for a bearer token."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import error_responses

from .authentication import BearerTokenAuthentication
from .models import ApiToken, ApiTokenKind
from .serializers import TokenRequestSerializer, TokenSerializer
from .services import api_token_revoke, borrower_token_issue
from .throttles import sign_in_throttled


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = (
        "Too many wrong passwords for this account. Sign-in is paused for 15 minutes; "
        "you can set a new password from the sign-in page."
    )


class BorrowerTokenView(APIView):
    # Credentials come in the body; no session (and so no CSRF) and no token needed to ask.
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get a borrower API token",
        description=(
            "Exchange a borrower's email (or mobile number) and password for a bearer token "
            "valid 30 days. Wrong passwords count towards the same lockout as the sign-in page "
            "(5 failures → 15 minutes, answered with 429)."
        ),
        request=TokenRequestSerializer,
        responses={201: TokenSerializer, **error_responses(400, 401, 403, 429)},
        auth=[],
    )
    def post(self, request):
        if sign_in_throttled(request._request):
            raise exceptions.Throttled(
                detail="Too many sign-in attempts from this address. Wait a few minutes."
            )
        given = TokenRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        # Through Django's authenticate with the request, so django-axes counts and locks.
        user = authenticate(request._request, **given.validated_data)
        if getattr(request._request, "axes_locked_out", False):
            raise LockedOut()
        if user is None:
            raise exceptions.AuthenticationFailed(
                "That email or mobile number and password don't match our records."
            )
        token, raw = borrower_token_issue(user=user)
        body = {
            "token": raw,
            "token_type": "Bearer",
            "prefix": token.prefix,
            "expires_at": token.expires_at,
        }
        return Response(TokenSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="auth_token_revoke",
        summary="Revoke the borrower token used for this request",
        request=None,
        responses={204: None, **error_responses(401, 403)},
    )
    def delete(self, request):
        token = request.auth
        if not isinstance(token, ApiToken):
            raise exceptions.NotAuthenticated("Send the token to revoke as 'Bearer <token>'.")
        if token.kind != ApiTokenKind.BORROWER:
            raise exceptions.PermissionDenied("Service tokens are revoked in the admin.")
        api_token_revoke(token=token, actor=token.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
