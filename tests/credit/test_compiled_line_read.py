"""My credit reads the borrower's line with a statement the ORM built once per process.

Whatever the statement, each borrower must get their own line, with the same fields, borrower
and annotations (so the same history fingerprint) as the ORM's own read; and the open appeal
the page's panel shows must be the line's own.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appeals.selectors import open_appeal_for_line
from appeals.selectors.borrower import _open_appeal_query
from credit.overview import KEY_EVENT_KINDS, _history_fingerprint
from credit.selectors import _line_for_overview_query, credit_line_for_overview
from tests.appeals.factories import submitted_appeal
from tests.credit.story import active_line, closing_line

pytestmark = pytest.mark.django_db


def _as_read(line) -> dict:
    """Everything a read put on the line: its fields, its borrower's, its annotations."""
    values = {f.attname: getattr(line, f.attname) for f in line._meta.concrete_fields}
    borrower = line.borrower
    values["borrower"] = {
        f.attname: getattr(borrower, f.attname) for f in borrower._meta.concrete_fields
    }
    for name in ("keep_min_score", "latest_decision_id", "latest_event_id", "reasons_changed_at"):
        values[name] = getattr(line, name)
    return values


def _orm_read(user):
    return _line_for_overview_query(borrower_id=user.pk, event_kinds_shown=KEY_EVENT_KINDS).first()


def test_each_borrower_reads_their_own_line_as_the_orm_reads_it(sent_notices):
    lines = [closing_line(days_ago=7), active_line(), closing_line(days_ago=3)]
    for line in lines + lines[::-1]:  # the same statement, run for each in turn
        user = line.borrower
        read = credit_line_for_overview(user=user, event_kinds_shown=KEY_EVENT_KINDS)
        assert read.pk == line.pk
        assert read.borrower_id == user.pk and read.borrower.pk == user.pk
        assert _as_read(read) == _as_read(_orm_read(user))
        assert _history_fingerprint(read, user=user, language="en") == _history_fingerprint(
            _orm_read(user), user=user, language="en"
        )
    # The history markers differ between the lines: a statement that ignored its borrower
    # would have shown one line's markers for another.
    markers = {
        credit_line_for_overview(
            user=line.borrower, event_kinds_shown=KEY_EVENT_KINDS
        ).latest_event_id
        for line in lines
    }
    assert len(markers) == len(lines)


def test_a_borrower_without_a_line_reads_none(sent_notices):
    from tests.factories import BorrowerFactory

    active_line()  # someone else's line exists
    assert (
        credit_line_for_overview(user=BorrowerFactory(), event_kinds_shown=KEY_EVENT_KINDS) is None
    )


def test_the_line_is_read_in_one_statement(sent_notices):
    line = closing_line(days_ago=7)
    credit_line_for_overview(user=line.borrower, event_kinds_shown=KEY_EVENT_KINDS)  # compiled
    with CaptureQueriesContext(connection) as queries:
        credit_line_for_overview(user=line.borrower, event_kinds_shown=KEY_EVENT_KINDS)
    assert len(queries) == 1


def test_the_open_appeal_is_the_lines_own(sent_notices):
    appealed = submitted_appeal()
    other = closing_line(days_ago=5)
    for _ in range(2):
        found = open_appeal_for_line(line_id=appealed.line_id)
        assert found is not None and found.pk == appealed.pk
        assert found.borrower_id == appealed.borrower_id
        assert found.status == appealed.status and found.created_at == appealed.created_at
        assert found.reference == appealed.reference
        assert open_appeal_for_line(line_id=other.pk) is None
    orm = _open_appeal_query(appealed.line_id).first()
    assert {f.attname: getattr(found, f.attname) for f in found._meta.concrete_fields} == {
        f.attname: getattr(orm, f.attname) for f in orm._meta.concrete_fields
    }
