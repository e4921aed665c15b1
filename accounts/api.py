"""Borrower API tokens: exchange a username and password for a bearer token."""

from django.contrib.auth import authenticate
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import error_responses

from . import consent
from .authentication import BearerTokenAuthentication
from .models import ApiToken, ApiTokenKind, ConsentChannel
from .serializers import (
    ConsentAcceptSerializer,
    ConsentsSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from .services import api_token_revoke, borrower_token_issue, policies_accept
from .throttles import sign_in_throttled


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = gettext_lazy(
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
                detail=_("Too many sign-in attempts from this address. Wait a few minutes.")
            )
        given = TokenRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        # Through Django's authenticate with the request, so django-axes counts and locks.
        user = authenticate(request._request, **given.validated_data)
        if getattr(request._request, "axes_locked_out", False):
            raise LockedOut()
        if user is None:
            raise exceptions.AuthenticationFailed(
                _("That email or mobile number and password don't match our records.")
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
            raise exceptions.NotAuthenticated(_("Send the token to revoke as 'Bearer <token>'."))
        if token.kind != ApiTokenKind.BORROWER:
            raise exceptions.PermissionDenied(_("Service tokens are revoked in the admin."))
        api_token_revoke(token=token, actor=token.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _consents_body(user, language: str) -> dict:
    accepted = set(user.acceptances.values_list("policy_version_id", flat=True))
    documents = [
        {
            "id": version.pk,
            "document": version.document,
            "version": version.version,
            "effective_on": version.effective_on,
            "title": version.title_in(language),
            "text": version.body_in(language),
            "changes": version.changes_in(language),
            "accepted": version.pk in accepted,
        }
        for version in consent.current_versions()
    ]
    return {"pending": not all(d["accepted"] for d in documents), "documents": documents}


class ConsentsView(APIView):
    """The policy versions in force and the borrower's acceptance of each. Reachable before
    accepting (every other borrower endpoint answers 403 `consent_required` until then)."""

    permission_classes = [IsAuthenticated]

    def _borrower(self, request):
        if request.user.is_staff:
            raise exceptions.PermissionDenied(_("Only borrowers accept policy documents."))
        return request.user

    @extend_schema(
        operation_id="consents_list",
        summary="Policy documents in force, and whether you accepted each",
        responses={200: ConsentsSerializer, **error_responses(401, 403)},
    )
    def get(self, request):
        user = self._borrower(request)
        return Response(ConsentsSerializer(_consents_body(user, translation.get_language())).data)

    @extend_schema(
        operation_id="consents_accept",
        summary="Accept the policy versions you have read",
        description=(
            "Send the ids of the versions in force that you read. A version that is no longer "
            "(or not yet) in force is refused with 400: read the current one and send again. "
            "Accepting a version twice records it once."
        ),
        request=ConsentAcceptSerializer,
        responses={200: ConsentsSerializer, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request):
        user = self._borrower(request)
        given = ConsentAcceptSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        policies_accept(
            user=user,
            version_ids=given.validated_data["versions"],
            channel=ConsentChannel.API,
            ip_address=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        return Response(ConsentsSerializer(_consents_body(user, translation.get_language())).data)
