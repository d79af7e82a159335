"""Re-apply the current rules to stored items, after a rule was added or edited.

Items keep the matches they had (delivered or not); only matches they did not have are added,
and those go out with the recipients' next messages like any new match. ``resend`` also
forgets who got the range's earlier matches, so they are sent again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from vigil.errors import ConfigError
from vigil.rules import Matcher, RuleSet
from vigil.store import Store

BATCH_SIZE = 500


@dataclass
class BackfillReport:
    items: int = 0
    new_matches: Counter[str] = field(default_factory=Counter)
    released_claims: int = 0

    def lines(self) -> list[str]:
        per_rule = ", ".join(f"{rule} {n}" for rule, n in sorted(self.new_matches.items()))
        lines = [
            f"items re-matched: {self.items}",
            f"new matches: {sum(self.new_matches.values())}"
            + (f" ({per_rule})" if per_rule else ""),
        ]
        if self.released_claims:
            lines.append(f"earlier matches to send again: {self.released_claims}")
        if self.new_matches or self.released_claims:
            lines.append("they go out with each recipient's next alerts and digests")
        return lines


def only_rules(ruleset: RuleSet, rule_ids: Sequence[str] | None) -> RuleSet:
    """The rule set narrowed to ``rule_ids`` (every rule when None); unknown ids are an error."""
    if not rule_ids:
        return ruleset
    known = {rule.id for rule in ruleset.rules}
    if unknown := sorted(set(rule_ids) - known):
        raise ConfigError(f"no such rule: {', '.join(unknown)} (vigil rules stats lists them)")
    return replace(ruleset, rules=tuple(r for r in ruleset.rules if r.id in set(rule_ids)))


def batches(item_ids: Sequence[int], size: int = BATCH_SIZE) -> list[list[int]]:
    return [list(item_ids[i : i + size]) for i in range(0, len(item_ids), size)]


def rematch_batch(store: Store, matcher: Matcher, item_ids: Sequence[int]) -> list[tuple[int, str]]:
    """Match one batch of stored items; returns the (item id, rule id) pairs added."""
    loaded = store.articles(item_ids)
    found = matcher.match_many([article for _, article in loaded])
    pairs = [
        (item_id, match)
        for (item_id, _), item_matches in zip(loaded, found, strict=True)
        for match in item_matches
    ]
    return store.add_matches(pairs)


RematchBatches = Callable[[list[list[int]]], Iterable[list[tuple[int, str]]]]


def backfill(
    store: Store,
    ruleset: RuleSet,
    since: datetime,
    *,
    until: datetime | None = None,
    rule_ids: Sequence[str] | None = None,
    resend: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    rematch: RematchBatches | None = None,
) -> BackfillReport:
    """Re-match items first seen in [since, until); ``progress(done, total)`` after each batch.

    ``rematch`` matches the batches and yields, per batch in order, the (item id, rule id)
    pairs it added: by default here, one batch after the other; the Prefect flow passes one
    that runs them as tasks on any task runner (Dask's processes for ``--dask``).
    """
    chosen = only_rules(ruleset, rule_ids)
    item_ids = store.item_ids_since(since, until)
    report = BackfillReport(items=len(item_ids))
    chunks = batches(item_ids, batch_size)
    if rematch is None:
        matcher = Matcher(chosen)

        def rematch(chunks: list[list[int]]) -> Iterator[list[tuple[int, str]]]:
            return (rematch_batch(store, matcher, chunk) for chunk in chunks)

    done = 0
    for chunk, added in zip(chunks, rematch(chunks), strict=True):
        report.new_matches.update(rule for _, rule in added)
        done += len(chunk)
        if progress is not None:
            progress(done, len(item_ids))
    if resend and item_ids:
        ids = [rule.id for rule in chosen.rules] if rule_ids else None
        report.released_claims = store.release_claims(item_ids, ids)
    return report
