"""Compiled rule conditions give what the tree walk (``evaluate``) gives, list for list."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.article import Article
from vigil.rules import Matcher, load_ruleset
from vigil.rules.document import Document
from vigil.rules.query import TermNode, parse_query, walk
from vigil.rules.scanner import TermScanner
from vigil.sources import read_article_folder

ROOT = Path(__file__).resolve().parents[2]


def regions(doc: Document) -> list[tuple[int, int]]:
    whole = [(0, len(doc.text)), (0, doc.title_end), (doc.body_start, len(doc.text))]
    return whole + doc.sentences + doc.paragraphs


def test_shipped_rules_on_the_seed_article_and_the_rule_examples() -> None:
    ruleset = load_ruleset(ROOT / "rules")
    matcher = Matcher(ruleset)
    articles = list(read_article_folder(ROOT / "examples" / "articles"))
    for rule in ruleset.rules:
        for text in rule.examples.match + rule.examples.no_match:
            articles.append(Article(title=text[:40], body=text, outlet="x"))
    nodes = [rule.condition for rule in ruleset.rules]
    nodes += [rule.event.object for rule in ruleset.rules if rule.event and rule.event.object]
    compiled = [(node, node.compile()) for node in nodes]
    for doc in matcher.prepare_many(articles):
        for node, function in compiled:
            for lo, hi in regions(doc):
                assert function(doc, lo, hi) == node.evaluate(doc, (lo, hi))


QUERIES = [
    '"minsk agreement" OR mediat* OR talks',
    "minsk NEAR/3 (talks OR deal)",
    "sentence:(@RUS AND (talks OR deal))",
    "paragraph:(@TURGOV AND deal)",
    "title:minsk OR (talks AND deal AND NOT metro)",
    "(minsk OR deal) AND talks AND @UKR",
    'body:/tal+ks?/ AND NOT "minsk metro"',
    "sentence:(minsk NEAR/1 minsk)",
    "Kyiv AND NOT (talks OR deal)",
    "~mediate AND case:Minsk",
]
WORDS = ["minsk", "Minsk", "talks", "deal", "metro", "mediation", "Kremlin", "Russia", "Ukraine"]
WORDS += ["Erdogan", "Turkish", "Ankara", "said", "the", "Kyiv", "mediated"]
SEPARATORS = [" ", " ", ". ", ", ", "\n", "\n\n", "-", "! "]


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(
        st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=30)
    )
    return "".join(word + sep for word, sep in parts)


MATCHER = Matcher(load_ruleset(ROOT / "rules"))


@settings(max_examples=300, deadline=None)
@given(title=texts(), body=texts(), query=st.sampled_from(QUERIES))
def test_compiled_queries_agree_with_the_tree_walk(title: str, body: str, query: str) -> None:
    node = parse_query(query)
    terms = [n.term for n in walk(node) if isinstance(n, TermNode)]
    doc = MATCHER.prepare(Article(title=title, body=body, outlet="x"))
    doc.term_hits = {**TermScanner(terms).scan(doc.folded), **doc.term_hits}
    function = node.compile()
    for lo, hi in regions(doc):
        assert function(doc, lo, hi) == node.evaluate(doc, (lo, hi))
