"""Dependencies point one way: accounts ← credit ← appeals; notifications names no domain app.

The checker below reads the source, not the running project: every Python import (module
level, inside functions, under TYPE_CHECKING, relative ones resolved), every string that
names a project module or model (`import_module("appeals.demo")`, `"appeals.Appeal"`), and
in each app's templates every `{% load %}` of another app's tag library, `{% url 'ns:...' %}`
of another app's URL namespace, and `{% extends/include "app/..." %}` of another app's
template. It also finds names that belong to another app: a permission or notification event
("appeals.decide_appeal", "credit.closed", "appeal.submitted") written in code outside
migrations (their history cannot change), and a template folder named for another app's
event ("notifications/messages/credit.closed/"). credit's pure engine (credit/engine/)
imports no ORM at all.

accounts → notifications is allowed: every app may send notices through notifications, and
accounts does (it declares the "policy updated" event in its notices.py and ships its message
templates, which extend its e-mail layout).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("jobs", "audit", "accounts", "notifications", "webhooks", "credit", "appeals")
# importer app -> apps it must never reach
FORBIDDEN: dict[str, frozenset[str]] = {
    # the durable after-commit queue sits below every app: it runs tasks by name only
    "jobs": frozenset({"audit", "accounts", "notifications", "webhooks", "credit", "appeals"}),
    # the audit trail sits just above jobs: every app records its acts in it (each app's
    # audited.py registers its kinds); it names no domain app, act or role module.
    "audit": frozenset({"jobs", "accounts", "notifications", "webhooks", "credit", "appeals"}),
    "accounts": frozenset({"credit", "appeals", "webhooks"}),
    "notifications": frozenset({"credit", "appeals", "webhooks"}),
    # webhooks is a lower layer like notifications: credit and appeals emit through it (each
    # app's outbound.py registers its event types); it names no domain app or event.
    "webhooks": frozenset({"credit", "appeals"}),
    "credit": frozenset({"appeals"}),
    "appeals": frozenset(),
}
# The first word of the names each app owns (events are "appeal.decided", permissions
# "appeals.decide_appeal").
NAME_PREFIXES = {
    "jobs": "jobs",
    "audit": "audit",
    "accounts": "accounts",
    "notifications": "notifications",
    "credit": "credit",
    "appeals": "appeals",
    "appeal": "appeals",
    "webhooks": "webhooks",
}
# Modules that need no ORM: nothing from django.db, no models module of any app.
PURE_PACKAGES = ("credit/engine",)

DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
OWNED_NAME = re.compile(r"^([a-z_]+)\.([a-z_]\w*)$")
LOAD_TAG = re.compile(r"{%-?\s*load\s+(.+?)\s*-?%}")
URL_TAG = re.compile(r"""{%-?\s*url\s+(['"])([\w-]+):""")
TEMPLATE_REF = re.compile(r"""{%-?\s*(?:extends|include)\s+(['"])([\w.-]+)/""")


@dataclass(frozen=True, order=True)
class Violation:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(root: Path, dotted: str) -> bool:
    base = root.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _names_a_module(root: Path, dotted: str) -> str | None:
    """The longest prefix of `dotted` naming a module inside an app under root.

    "appeals.selectors.open_appeal_for_line" names appeals.selectors; "credit.closed" (an
    event name) names no module: the app package alone does not count.
    """
    parts = dotted.split(".")
    for end in range(len(parts), 1, -1):
        candidate = ".".join(parts[:end])
        if _is_module(root, candidate):
            return candidate
    return None


def python_references(root: Path, path: Path) -> list[tuple[int, str, str]]:
    """(line, kind, dotted name) of every module this file imports or names in a string."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    own = _module_name(root, path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, "import", alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            found.append((node.lineno, "import", base))
            for alias in node.names:  # `from . import models` imports a module too
                found.append((node.lineno, "import", f"{base}.{alias.name}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            value = node.value.strip()
            if DOTTED.match(value) and value.split(".", 1)[0] in APPS:
                app, _, rest = value.partition(".")
                if rest[:1].isupper() and "." not in rest:
                    found.append((node.lineno, "model label", value))
                    continue
                if module := _names_a_module(root, value):
                    found.append((node.lineno, "string import", module))
                    continue
            match = OWNED_NAME.match(value)
            if match and match.group(1) in NAME_PREFIXES and "migrations" not in path.parts:
                owner = NAME_PREFIXES[match.group(1)]
                found.append((node.lineno, "name", f"{owner}.{value}"))
    return found


def _describe(kind: str, dotted: str) -> str:
    """What a reference is, for the report ("name" keeps the string as written)."""
    if kind == "name":
        return f"name {dotted.split('.', 1)[1]!r}"
    return f"{kind} {dotted}"


def _app_of(dotted: str) -> str | None:
    head = dotted.split(".", 1)[0]
    return head if head in APPS else None


def _tag_libraries(root: Path) -> dict[str, str]:
    """Template tag library name -> the app that ships it."""
    return {
        lib.stem: app
        for app in APPS
        for lib in (root / app / "templatetags").glob("*.py")
        if lib.stem != "__init__"
    }


def _url_namespaces(root: Path) -> dict[str, str]:
    """URL namespace (app_name in urls.py) -> the app that owns it."""
    owners = {}
    for app in APPS:
        urls = root / app / "urls.py"
        if urls.is_file():
            match = re.search(r"""^app_name\s*=\s*['"]([\w-]+)['"]""", urls.read_text(), re.M)
            if match:
                owners[match.group(1)] = app
    return owners


def template_references(
    text: str, libraries: dict[str, str], namespaces: dict[str, str]
) -> list[tuple[int, str, str]]:
    """(line, kind, owning app) of each reference a template makes to an app's code."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in LOAD_TAG.finditer(line):
            words = match.group(1).split()
            names = words[words.index("from") + 1 :] if "from" in words else words
            found += [(number, f"load {n}", libraries[n]) for n in names if n in libraries]
        for match in URL_TAG.finditer(line):
            if match.group(2) in namespaces:
                found.append((number, f"url {match.group(2)}:", namespaces[match.group(2)]))
        for match in TEMPLATE_REF.finditer(line):
            if match.group(2) in APPS:
                found.append((number, f"template {match.group(2)}/", match.group(2)))
    return found


def _python_files(folder: Path):
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def find_violations(root: Path) -> list[Violation]:
    """Every forbidden dependency in the apps under root."""
    violations = []
    for app in APPS:
        if not (root / app).is_dir():
            continue
        for path in _python_files(root / app):
            relative = path.relative_to(root).as_posix()
            for line, kind, dotted in python_references(root, path):
                target = _app_of(dotted)
                if target in FORBIDDEN[app]:
                    what = f"{app} → {target}: {_describe(kind, dotted)}"
                    violations.append(Violation(relative, line, what))
        libraries, namespaces = _tag_libraries(root), _url_namespaces(root)
        for path in sorted((root / app / "templates").rglob("*")):
            relative = path.relative_to(root).as_posix()
            prefix = path.name.split(".", 1)[0] if "." in path.name else None
            if path.is_dir() and NAME_PREFIXES.get(prefix) in FORBIDDEN[app]:
                what = f"{app} → {NAME_PREFIXES[prefix]}: template folder {path.name}/"
                violations.append(Violation(relative, 0, what))
            if not path.is_file():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for line, kind, target in template_references(text, libraries, namespaces):
                if target in FORBIDDEN[app]:
                    violations.append(Violation(relative, line, f"{app} → {target}: {kind}"))
    for package in PURE_PACKAGES:
        for path in _python_files(root / package):
            relative = path.relative_to(root).as_posix()
            for line, kind, dotted in python_references(root, path):
                if kind == "name":
                    continue
                last = dotted.rsplit(".", 1)[-1]
                if dotted == "django.db" or dotted.startswith("django.db.") or last == "models":
                    violations.append(
                        Violation(relative, line, f"ORM in pure code: {kind} {dotted}")
                    )
    return sorted(set(violations))


# --- the project ----------------------------------------------------------------------------


def test_no_forbidden_dependency_in_the_apps():
    violations = find_violations(ROOT)
    assert not violations, "Forbidden dependencies:\n" + "\n".join(map(str, violations))


def test_the_checker_sees_every_app_and_the_engine():
    assert all((ROOT / app / "apps.py").is_file() for app in APPS)
    assert _python_files(ROOT / "credit" / "engine")
    assert _tag_libraries(ROOT)["appeals_tags"] == "appeals"
    assert _url_namespaces(ROOT)["appeals"] == "appeals"


# --- the checker itself, on a planted project -----------------------------------------------


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def planted(tmp_path) -> Path:
    for app in APPS:
        _write(tmp_path, f"{app}/__init__.py", "")
        _write(tmp_path, f"{app}/models.py", "from django.db import models\n")
        _write(tmp_path, f"{app}/urls.py", f'app_name = "{app}"\nurlpatterns = []\n')
        _write(tmp_path, f"{app}/templatetags/__init__.py", "")
        _write(tmp_path, f"{app}/templatetags/{app}_tags.py", "")
    _write(tmp_path, "appeals/demo.py", "")
    _write(tmp_path, "credit/engine/__init__.py", "")
    return tmp_path


def _whats(root: Path) -> list[str]:
    return [v.what for v in find_violations(root)]


def test_a_clean_planted_project_passes(planted):
    _write(planted, "appeals/services.py", "from credit import models\nimport accounts.models\n")
    _write(planted, "credit/services.py", "from accounts.models import User\n")
    _write(planted, "credit/engine/rules.py", "from dataclasses import dataclass\n")
    _write(
        planted,
        "credit/templates/credit/page.html",
        "{% load i18n credit_tags %}{% url 'credit:home' %}{% include \"credit/x.html\" %}",
    )

    assert _whats(planted) == []


@pytest.mark.parametrize(
    ("relative", "source", "expected"),
    [
        ("credit/views.py", "from appeals.models import Appeal\n", "credit → appeals: import"),
        ("credit/views.py", "import appeals.selectors\n", "credit → appeals: import"),
        (
            "credit/views.py",
            "def f():\n    from appeals import services\n    return services\n",
            "credit → appeals: import appeals.services",
        ),
        (
            "credit/views.py",
            "import importlib\nimportlib.import_module('appeals.demo')\n",
            "credit → appeals: string import appeals.demo",
        ),
        (
            "credit/models.py",
            "line = ForeignKey('appeals.Appeal', on_delete=None)\n",
            "credit → appeals: model label appeals.Appeal",
        ),
        ("accounts/roles.py", "from credit import models\n", "accounts → credit: import"),
        ("notifications/x.py", "from appeals.models import Appeal\n", "notifications → appeals"),
        ("notifications/x.py", "from credit import selectors\n", "notifications → credit"),
        (
            "accounts/roles.py",
            "GRANTS = {'agent': ('credit.view_creditline',)}\n",
            "accounts → credit: name 'credit.view_creditline'",
        ),
        (
            "notifications/catalogue.py",
            "EVENTS = ['appeal.submitted']\n",
            "notifications → appeals: name 'appeal.submitted'",
        ),
        (
            "credit/admin.py",
            "allowed = user.has_perm('appeals.decide_appeal')\n",
            "credit → appeals: name 'appeals.decide_appeal'",
        ),
        ("credit/engine/rules.py", "from django.db import models\n", "ORM in pure code"),
        ("credit/engine/rules.py", "from ..models import CreditLine\n", "ORM in pure code"),
        ("credit/engine/rules.py", "from credit import models\n", "ORM in pure code"),
        (
            "credit/engine/rules.py",
            "def f():\n    from django.db.models import Q\n",
            "ORM in pure code: import django.db.models",
        ),
    ],
)
def test_the_checker_catches_a_planted_python_dependency(planted, relative, source, expected):
    _write(planted, relative, source)

    whats = _whats(planted)
    assert any(expected in what for what in whats), whats
    assert all(v.path == relative for v in find_violations(planted))


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{% load i18n appeals_tags %}", "credit → appeals: load appeals_tags"),
        ("{% load lookup from appeals_tags %}", "credit → appeals: load appeals_tags"),
        ("<a href=\"{% url 'appeals:detail' 1 %}\">", "credit → appeals: url appeals:"),
        ('<a href="{% url "appeals:start" %}">', "credit → appeals: url appeals:"),
        ('{% include "appeals/panel.html" %}', "credit → appeals: template appeals/"),
    ],
)
def test_the_checker_catches_a_planted_template_reference(planted, template, expected):
    _write(planted, "credit/templates/credit/my_credit.html", f"<p>\n{template}\n</p>")

    violations = find_violations(planted)
    assert [(v.path, v.line, v.what) for v in violations] == [
        ("credit/templates/credit/my_credit.html", 2, expected)
    ]


def test_the_checker_catches_a_template_folder_named_for_another_apps_event(planted):
    _write(planted, "notifications/templates/notifications/messages/credit.closed/en/sms.txt", "")

    assert _whats(planted) == ["notifications → credit: template folder credit.closed/"]


def test_an_upward_reference_is_allowed(planted):
    _write(planted, "appeals/templates/appeals/list.html", "{% url 'credit:my-credit' %}")
    _write(planted, "appeals/panels.py", "from credit import panels\n")
    _write(planted, "appeals/notices.py", "EVENT = 'credit.reinstated'\n")
    _write(planted, "appeals/templates/appeals/messages/appeal.decided/en/sms.txt", "")
    _write(
        planted, "notifications/migrations/0001_outbox.py", "CHOICES = [('credit.closed', '')]\n"
    )

    assert _whats(planted) == []
