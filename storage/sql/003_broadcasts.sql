-- Broadcasts: one row per message to many residents (officer, campaign calendar, meeting
-- reminder, or per-recipient "personal" messages such as survey results). The database is the
-- source of truth: scheduler jobs are rebuilt from these rows at start.
CREATE TABLE broadcasts (
    id           INTEGER PRIMARY KEY,
    key          TEXT UNIQUE,                  -- stable id of automatic ones, e.g. campaign:x:2026:launch
    kind         TEXT NOT NULL,                -- officer | campaign | reminder | personal
    ref          TEXT,                         -- campaign id, NAG id, survey id...
    text         TEXT,                         -- final HTML (NULL: per-recipient text in outbox)
    image        TEXT,                         -- campaign image (content path or URL)
    audience     TEXT NOT NULL,                -- JSON, see bot/domain/broadcasts.Audience
    requires     TEXT NOT NULL DEFAULT 'consent', -- consent | reminders | active: who may still get it
    urgent       INTEGER NOT NULL DEFAULT 0,   -- 1 = ignores quiet hours
    ratings      INTEGER NOT NULL DEFAULT 1,   -- 1 = carries the Useful / Not useful buttons
    status       TEXT NOT NULL DEFAULT 'scheduled', -- scheduled | sending | done | cancelled | expired
    send_at      TEXT NOT NULL,                -- the time asked for (UTC ISO)
    due_at       TEXT NOT NULL,                -- when it may go next (moved by quiet hours)
    fingerprint  TEXT,                         -- normalised text hash, for the 48 h duplicate check
    materialised INTEGER NOT NULL DEFAULT 0,   -- 1 = outbox rows were created
    notified     INTEGER NOT NULL DEFAULT 0,   -- 1 = officers had the 24 h notice
    created_by   INTEGER,                      -- officer user id (NULL: automatic)
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT
);
CREATE INDEX broadcasts_due ON broadcasts (status, due_at);
CREATE INDEX broadcasts_fingerprint ON broadcasts (fingerprint, send_at);
-- The outbox: one row per broadcast and chat. A row is 'sending' while its request may be in
-- flight, so a hard kill repeats at most those; 'sending' rows are retried at start.
CREATE TABLE outbox (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    chat_id      INTEGER NOT NULL REFERENCES residents (chat_id) ON DELETE CASCADE,
    status       TEXT NOT NULL DEFAULT 'pending', -- pending | sending | sent | blocked | not_found | failed | skipped | cancelled | expired
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    sent_at      TEXT,
    message_id   INTEGER,
    text         TEXT,                         -- per-recipient text (personal broadcasts)
    PRIMARY KEY (broadcast_id, chat_id)
) WITHOUT ROWID;
CREATE INDEX outbox_status ON outbox (broadcast_id, status, chat_id);
CREATE INDEX outbox_chat ON outbox (chat_id);
-- Who did what to which broadcast, and when (officer actions and automatic ones).
CREATE TABLE broadcast_audit (
    id           INTEGER PRIMARY KEY,
    broadcast_id INTEGER,
    actor_id     INTEGER,                      -- officer user id; NULL = the bot itself
    action       TEXT NOT NULL,                -- schedule | cancel | send_now | change | expire | import
    detail       TEXT,
    at           TEXT NOT NULL
);
CREATE INDEX broadcast_audit_broadcast ON broadcast_audit (broadcast_id);
-- One rating per resident per broadcast, changeable.
CREATE TABLE broadcast_ratings (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    chat_id      INTEGER NOT NULL REFERENCES residents (chat_id) ON DELETE CASCADE,
    useful       INTEGER NOT NULL,
    rated_at     TEXT NOT NULL,
    PRIMARY KEY (broadcast_id, chat_id)
) WITHOUT ROWID;
CREATE INDEX broadcast_ratings_chat ON broadcast_ratings (chat_id);
