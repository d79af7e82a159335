"""Tables. Portable across SQLite (the default) and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every back end (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    # GUID, else cleaned link, else content hash: what makes an article "already seen".
    Column("canonical_id", String(1024), nullable=False, unique=True),
    Column("outlet", String(255), nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("link", Text),
    Column("author", Text),
    Column("published", UTCDateTime()),
    Column("date_missing", Boolean, nullable=False, default=False),
    Column("tags", JSON, nullable=False, default=list),
    Column("first_seen", UTCDateTime(), nullable=False),
    # The story cluster: the id of its first item. Same wire story, other outlets: same cluster.
    Column("cluster_id", Integer),
    Column("signature", LargeBinary),  # MinHash of the text, to cluster later arrivals
    # Where an item without a link came from, for the reader: "article file seed.txt".
    Column("origin", Text),
    # sha256 of title and body: the same id with another hash is a changed item.
    Column("content_hash", String(64)),
    # Its distinct folded words (vigil.words.item_words), for the word index of migration
    # 0006: an FTS5 table on SQLite, a GIN index on PostgreSQL. None: not indexed yet.
    Column("words", Text),
)
Index("ix_items_first_seen", items.c.first_seen)
# Items the word index does not know: a trial reads them in full.
Index(
    "ix_items_unindexed",
    items.c.first_seen,
    sqlite_where=items.c.words.is_(None),
    postgresql_where=items.c.words.is_(None),
)
# A story's other copies, for the web page's item view.
Index("ix_items_cluster", items.c.cluster_id)

matches = Table(
    "matches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("rule_id", String(255), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("highlights", JSON, nullable=False),
    Column("terms", JSON, nullable=False),
    Column("actors", JSON, nullable=False),
    Column("score", Float, nullable=False),
    # Event rules: who did it to whom, as actor codes.
    Column("source", String(16)),
    Column("target", String(16)),
    Column("matched_at", UTCDateTime(), nullable=False),
    UniqueConstraint("item_id", "rule_id", name="uq_matches_item_rule"),
)
Index("ix_matches_rule", matches.c.rule_id)
# The digest window ("matched since a recipient was first seen") on a large store.
Index("ix_matches_matched_at", matches.c.matched_at)

# Analysts' feedback: one current label per (item, rule); labelling again replaces it.
# relevant | irrelevant judge a stored match; missed names an item the rule should have matched.
labels = Table(
    "labels",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("rule_id", String(255), primary_key=True),
    Column("verdict", String(16), nullable=False),
    Column("note", Text),
    Column("author", String(255)),
    Column("labelled_at", UTCDateTime(), nullable=False),
    CheckConstraint("verdict IN ('relevant', 'irrelevant', 'missed')", name="ck_labels_verdict"),
)
Index("ix_labels_rule", labels.c.rule_id)

# The outbox: a message is stored, with its final bytes and Message-ID, before it is sent.
messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", String(255), nullable=False, unique=True),
    # The recipient id of the recipients file, and what the message is: alert | digest | heartbeat.
    Column("recipient", String(255), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("subject", Text, nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False, default="pending"),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("destination", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
)
Index("ix_messages_status_next", messages.c.status, messages.c.next_attempt_at)
Index("ix_messages_recipient", messages.c.recipient, messages.c.id)

# Which matches a message carries: a match reaches each recipient in exactly one message.
deliveries = Table(
    "deliveries",
    metadata,
    Column("message_pk", Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("match_id", Integer, ForeignKey("matches.id", ondelete="CASCADE"), nullable=False),
    Column("recipient", String(255), nullable=False),
    UniqueConstraint("recipient", "match_id", name="uq_deliveries_recipient_match"),
)
# Whether a match went out, and in which messages: the web page asks per match.
Index("ix_deliveries_match", deliveries.c.match_id)

# Recipients as the store first saw them: a new recipient's first digest starts from here.
recipients = Table(
    "recipients",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("first_seen", UTCDateTime(), nullable=False),
)

# Scheduled digest slots already handled (sent, or empty with no heartbeat): the unique key
# is what keeps a slot's digest from going out twice when runs overlap or are retried.
schedule_slots = Table(
    "schedule_slots",
    metadata,
    Column("recipient", String(255), primary_key=True),
    Column("slot", UTCDateTime(), primary_key=True),
    Column("message_pk", Integer, ForeignKey("messages.id", ondelete="SET NULL")),
    Column("handled_at", UTCDateTime(), nullable=False),
)

feeds = Table(
    "feeds",
    metadata,
    Column("name", String(255), primary_key=True),
    # The URL as the feeds file gives it; when the file changes, the feed's state starts over.
    Column("configured_url", Text, nullable=False),
    # The URL to fetch: the configured one, or where a permanent redirect moved it.
    Column("url", Text, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_attempt", UTCDateTime()),
    Column("last_success", UTCDateTime()),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("next_attempt", UTCDateTime()),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("items_seen", Integer, nullable=False, default=0),
)

# One row per lock a run holds ("ingest", "digests"): overlapping runs skip instead of doing
# the same work twice. ``expires_at`` frees the lock of a run that died without releasing it.
run_locks = Table(
    "run_locks",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("holder", String(255), nullable=False),  # host, pid and a random token
    Column("acquired_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)
