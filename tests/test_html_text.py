"""HTML to text on lxml gives what the HTMLParser extractor it replaced gave, on the test corpus."""

import feedparser
import pytest

from vigil.html_text import MAX_DEPTH, html_to_text, reference_html_to_text
from vigil.sources.fastpath import fast_entries

from tests.sources.test_parsers import CORPUS
from tests.test_hostile import HOSTILE_RSS

# Markup that parsers are known to read differently: each case is one way they could differ.
EDGES = (
    "<p>Ankara &amp; Kyiv</p><script>alert(1)</script><iframe src=x>hidden</iframe><p>Next</p>",
    "<b>Ankara</b> <i>Kyiv</i>",
    "AT&T and &amp without a semicolon, &copy 2021, &nbsp; &#x41;&#65; &#0;",
    "<p>one<p>two<li>three",
    "before<!-- a comment -->after<?php echo 1 ?>",
    "<div>a<br>b<br/>c</div>tail",
    "text<script>never closed",
    "<style>p { color: red }</style>visible<noscript><p>hidden</p></noscript>",
    "<template><p>t</p></template><object><param>z</object>shown",
    "<svg><script>x</script></svg>after svg",
    "<pre>a\n   b</pre>\n\n<p>Line\r\nbreak\ttab</p>",
    "<td>a</td><td>b</td><tr><td>c</td></tr>",
    "x &lt;script&gt; y",
    "<p>caf\u00e9 Erdog\u0306an\u00a0said\u200b</p>",
    "<html><head><title>t</title></head><body>body text</body></html>",
    "<![CDATA[x]]>y",
    "<a href='https://e.org/'>read more</a> | <img alt='pic' src=x>",
    "plain text\n\nwith a blank line\nand a break",
    "<b>x" * 3000,
    "<div>" * 100_000 + "deep text",
)


def _fragments() -> dict[str, str]:
    """Every title, summary and content of the test corpus, as each parser hands it over."""
    found: dict[str, str] = {}
    documents = dict(CORPUS, hostile=HOSTILE_RSS.encode())
    for name, data in documents.items():
        sanitised = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=True)
        raw = fast_entries(data) or []
        for number, entry in enumerate([*sanitised.entries, *raw]):
            values = [entry.get("title"), entry.get("summary")]
            values += [content.get("value") for content in entry.get("content") or []]
            for index, value in enumerate(values):
                if value:
                    found[f"{name}#{number}.{index}"] = value
    return found


FRAGMENTS = _fragments()


def test_the_corpus_has_markup_to_compare() -> None:
    with_tags = [f for f in FRAGMENTS.values() if "<" in f]
    assert len(FRAGMENTS) > 100 and len(with_tags) > 20


@pytest.mark.parametrize("name", sorted(FRAGMENTS))
def test_lxml_extractor_agrees_with_the_reference_on_the_corpus(name: str) -> None:
    assert html_to_text(FRAGMENTS[name]) == reference_html_to_text(FRAGMENTS[name])


@pytest.mark.parametrize("fragment", EDGES, ids=range(len(EDGES)))
def test_lxml_extractor_agrees_with_the_reference_on_edge_cases(fragment: str) -> None:
    assert html_to_text(fragment) == reference_html_to_text(fragment)


def test_markup_scripts_and_frames_dropped_blocks_kept() -> None:
    html = (
        "<p>Ankara &amp; Kyiv</p><script>alert(1)</script>"
        "<iframe src=x>hidden</iframe><p>Next <b>one</b></p>"
    )
    assert html_to_text(html) == "Ankara & Kyiv\nNext one"


def test_text_nested_deeper_than_libxml2_reads_is_not_lost() -> None:
    fragment = "<div>" * (MAX_DEPTH * 4) + "Turkey offers to mediate"
    assert html_to_text(fragment) == "Turkey offers to mediate"


def test_an_end_tag_that_closes_nothing_is_the_one_known_difference() -> None:
    # html.parser made a stray </p> a line break; libxml2 ignores it. Every word is kept, in
    # order, by both; only where a line ends differs.
    fragment = "one </p> two </div> three"
    assert reference_html_to_text(fragment) == "one\ntwo\nthree"
    assert html_to_text(fragment) == "one two three"
