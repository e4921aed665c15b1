"""The API schema's error answers, documented on every operation the way they can happen.

Each view documents its success answers (and any error it wants to word itself); this adds
the error answers the project's machinery gives everywhere, in the one error shape:
401 (no or a bad token: `WWW-Authenticate: Bearer`), 403 (signed in, but not allowed), 400 on
anything that reads a body or query parameters, 404 where the path names an object or the
list is paged (an out-of-range page). A view that can answer 429 says so itself.
"""

from drf_spectacular.openapi import AutoSchema

from .api import ERROR_RESPONSE

BODY_METHODS = {"POST", "PUT", "PATCH"}


class ErrorDocumentingAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_statuses():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    ERROR_RESPONSE, str(code), direction=direction
                )
        return dict(sorted(responses.items()))

    def _error_statuses(self) -> list[int]:
        statuses = [401, 403]
        paged = self._is_list_view() and self._get_paginator() is not None
        if self.method in BODY_METHODS or self.get_filter_backends() or paged:
            statuses.append(400)
        if "{" in self.path or paged:
            statuses.append(404)
        return statuses
