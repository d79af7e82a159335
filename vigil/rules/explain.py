"""Why a rule did or did not match an article, clause by clause, in words an analyst reads."""

from __future__ import annotations

from vigil.rules.document import Document
from vigil.rules.matcher import Matcher
from vigil.rules.model import Rule
from vigil.rules.query import Node, query_text
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
    result = node.evaluate(doc, region)
    mark = "✓" if result is not None else "✗"
    lines = [f"{'  ' * depth}{mark} {node.explanation(doc, region, result)}"]
    if depth < MAX_DEPTH and node.explains_children():
        for operand in node.operands():
            lines += _explain(operand, doc, region, depth + 1)
    return lines


def _quote(doc: Document, span: Span) -> str:
    text = doc.text[span[0] : span[1]]
    return repr(text if len(text) <= 120 else text[:117] + "...")
