"""Why a rule did or did not match an article, clause by clause, in words an analyst reads."""

from __future__ import annotations

from vigil.rules.document import Document
from vigil.rules.evaluate import evaluate
from vigil.rules.matcher import Matcher
from vigil.rules.model import Rule
from vigil.rules.query import (
    ActorNode,
    AndNode,
    NearNode,
    Node,
    NotNode,
    OrNode,
    RegexNode,
    ScopeNode,
    TermNode,
    query_text,
)
from vigil.rules.scanner import Span

MAX_DEPTH = 5


def explain_rule(matcher: Matcher, rule: Rule, doc: Document) -> list[str]:
    """Lines that say which clause held, which failed, and what was found."""
    whole = (0, len(doc.text))
    lines = _explain(rule.condition, doc, whole, 0)
    if rule.event is not None:
        spec = rule.event
        wanted = spec.describe()
        events = matcher.events(spec.action, doc)
        found = matcher.find_event(rule, doc)
        if found is not None:
            lines.append(f"✓ event {wanted}: {found.direction} in {_quote(doc, found.sentence)}")
        elif not events:
            lines.append(f"✗ event {wanted}: no '{spec.action}' action in any sentence")
        else:
            seen = "; ".join(
                f"{e.direction} ({doc.text[e.trigger[0] : e.trigger[1]]!r})" for e in events[:5]
            )
            lines.append(f"✗ event {wanted}: found only {seen}")
            if spec.object is not None:
                lines.append(
                    f"    (the object must also occur in that sentence: {query_text(spec.object)})"
                )
    return lines


def _explain(node: Node, doc: Document, region: Span, depth: int) -> list[str]:
    result = evaluate(node, doc, region)
    mark = "✓" if result is not None else "✗"
    indent = "  " * depth
    text = query_text(node)
    if isinstance(node, TermNode | ActorNode | RegexNode):
        found = _words(doc, result)
        detail = f": found {found}" if found else ": not found"
        return [f"{indent}{mark} {text}{detail}"]
    if isinstance(node, NotNode):
        inner = evaluate(node.child, doc, region)
        detail = "absent, as required" if inner is None else f"present ({_words(doc, inner)})"
        return [f"{indent}{mark} NOT {query_text(node.child)}: {detail}"]
    if isinstance(node, NearNode):
        left = _words(doc, evaluate(node.left, doc, region)) or "nothing"
        right = _words(doc, evaluate(node.right, doc, region)) or "nothing"
        detail = (
            "" if result is not None else f" (left: {left}; right: {right}; never close enough)"
        )
        return [f"{indent}{mark} {text}{detail}"]
    lines = [f"{indent}{mark} {_short(text)}"]
    if depth >= MAX_DEPTH:
        return lines
    if isinstance(node, ScopeNode):
        if node.scope in {"sentence", "paragraph"}:
            unit = node.scope
            held = f"held in one {unit}" if result is not None else f"no single {unit} has it all"
            lines[0] += f" ({held}; its parts anywhere in the text:)"
        lines += _explain(node.child, doc, region, depth + 1)
        return lines
    if isinstance(node, AndNode | OrNode):
        for child in node.children:
            lines += _explain(child, doc, region, depth + 1)
    return lines


def _words(doc: Document, spans: list[Span] | None) -> str:
    if not spans:
        return ""
    words = list(dict.fromkeys(doc.text[a:b] for a, b in spans))
    shown = ", ".join(repr(w) for w in words[:6])
    return shown + (f" and {len(words) - 6} more" if len(words) > 6 else "")


def _quote(doc: Document, span: Span) -> str:
    text = doc.text[span[0] : span[1]]
    return repr(text if len(text) <= 120 else text[:117] + "...")


def _short(text: str) -> str:
    return text if len(text) <= 100 else text[:97] + "..."
