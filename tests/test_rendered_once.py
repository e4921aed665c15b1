"""Markup kept per process (config.rendered_once): rendered once per key, and bounded."""

from config.rendered_once import RenderedOnce


def test_markup_is_rendered_once_per_key_and_marked_safe():
    calls = []
    kept = RenderedOnce(max_entries=10)

    def render(text):
        def run():
            calls.append(text)
            return f"<b>{text}</b>"

        return run

    first = kept.get(("en", "home"), render("home"))
    again = kept.get(("en", "home"), render("other"))
    other = kept.get(("zh-hans", "home"), render("首页"))

    assert (first, again, other) == ("<b>home</b>", "<b>home</b>", "<b>首页</b>")
    assert calls == ["home", "首页"]
    assert hasattr(first, "__html__")  # a template shows it as markup, not escaped


def test_a_full_memo_drops_its_oldest_entries_and_keeps_the_newest():
    kept = RenderedOnce(max_entries=4)
    for n in range(4):
        kept.get(n, lambda n=n: str(n))

    kept.get("new", lambda: "new")

    assert len(kept) <= 4
    rendered = []
    assert kept.get("new", lambda: rendered.append("new") or "again") == "new"
    assert kept.get(3, lambda: rendered.append(3) or "3") == "3"
    assert kept.get(0, lambda: rendered.append(0) or "0 again") == "0 again"
    assert rendered == [0]
