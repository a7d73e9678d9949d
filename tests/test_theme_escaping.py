"""Regression: text that Jinja's `striptags` decodes must be escaped again.

`striptags` removes tags and then decodes entities, so a writer's code span
`"><b>…` (shown literally in the post) used to come out of
`{{ article.summary|striptags }}` as live markup inside <head>. The same held
for titles and for names with quotes in feed-link titles."""

from __future__ import annotations

from html.parser import HTMLParser

from test_site_support import PEOPLE, build, make_site, post

CODE = '"><b id="injected">x</b>'


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.head_tags: list[str] = []
        self.meta_description = None
        self.feed_titles: list[str] = []
        self.title = self.h1 = self.code = ""
        self._in = None
        self._head = True

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._head:
            self.head_tags.append(tag)
        if tag == "body":
            self._head = False
        if tag == "meta" and a.get("name") == "description":
            self.meta_description = a.get("content")
        if tag == "link" and a.get("rel") == "alternate":
            self.feed_titles.append(a.get("title") or "")
        if tag in ("title", "h1", "code"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag == "head":
            self._head = False
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in:
            setattr(self, self._in, getattr(self, self._in) + data)


def test_summary_title_and_names_stay_text_in_head(tmp_path):
    people = PEOPLE.replace('name = "Tomasz Wren"', 'name = "Tomasz \\"Tom\\" Wren"')
    site = make_site(tmp_path / "site", {
        "posts/quoting.md": post("Quoting &lt;/title&gt; in our sign-up form", author='Tomasz "Tom" Wren',
                                 body=f"Paste `{CODE}` into your page; write A & B.\n\nMore."),
    }, people=people)
    result = build(site)
    assert result.returncode == 0, result.output
    html = next((site / "output" / "posts").glob("*/index.html")).read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    assert page.code == CODE  # the body shows the code literally...
    assert "b" not in page.head_tags  # ...and <head> gains no element from it
    assert CODE in page.meta_description and "A & B" in page.meta_description
    assert page.title.startswith(page.h1.strip() + " · ")  # the whole title, "</title>" included
    assert any('posts by Tomasz "Tom" Wren (Atom)' in title for title in page.feed_titles), page.feed_titles
