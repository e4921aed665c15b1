"""Every API error message is in one language: the request's (`Accept-Language`), or Chinese,
the site's default, when it names none. DRF's own messages and Recourse's agree."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _sign_in_without_a_password(**headers):
    return Client().post(
        "/api/v1/auth/token/",
        {"username": "someone@example.com"},
        content_type="application/json",
        **headers,
    )


def test_without_accept_language_both_recourse_and_drf_messages_are_chinese():
    body = _sign_in_without_a_password().json()["error"]

    assert body["message"] == "请求无效，请查看各字段的说明。"  # Recourse's
    assert body["fields"]["password"] == ["该字段是必填项。"]  # DRF's


def test_with_accept_language_en_both_are_english():
    body = _sign_in_without_a_password(HTTP_ACCEPT_LANGUAGE="en").json()["error"]

    assert body["message"] == "The request is not valid; see the fields."
    assert body["fields"]["password"] == ["This field is required."]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (None, "令牌格式有误：这不是 Recourse 的 API 令牌。"),
        ("en", "Malformed token: this is not a Recourse API token."),
    ],
)
def test_a_rejected_token_is_told_in_the_request_s_language(language, message):
    headers = {"HTTP_AUTHORIZATION": "Bearer not-a-token"}
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language

    answer = Client().get("/api/v1/me/credit-line/", **headers)

    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == message


@pytest.mark.parametrize(
    ("language", "message"),
    [(None, "API 中没有这个路径。"), ("en", "No such path in the API.")],
)
def test_an_unknown_api_path_is_told_in_the_request_s_language(language, message):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}

    answer = Client().get("/api/v1/no-such-thing/", **headers)

    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == message
