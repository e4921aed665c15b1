"""The admin's own titles follow the staff member's language like the rest of the admin."""

import pytest

from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "index_title", "site_title"),
    [("zh-hans", "申诉工作台", "Recourse 工作人员"), ("en", "Appeals desk", "Recourse staff")],
)
def test_admin_index_titles_are_in_the_staff_members_language(
    client, language, index_title, site_title
):
    staff = StaffFactory(role="agent")
    client.force_login(staff)
    client.cookies["recourse_language"] = language
    page = client.get("/admin/").content.decode()
    assert f"<h1>{index_title}</h1>" in page or f">{index_title}<" in page
    assert f"| {site_title}</title>" in page
