-- The officers' web console (bot/console/). Officers' data only: nothing here is about a
-- resident. Tokens are stored as SHA-256 hashes, never as sent.
-- Officers invited through the console (those in the config are not here; the config wins).
-- name: how other officers see them, given by the admin who invited them (staff, not residents).
CREATE TABLE console_officers (
    user_id    INTEGER PRIMARY KEY,            -- Telegram user id (never shown in the console)
    role       TEXT NOT NULL,                  -- officer | admin
    name       TEXT,
    added_by   INTEGER,
    added_at   TEXT NOT NULL,
    removed_at TEXT                            -- not NULL: access removed
);
-- One-time links: a sign-in link (sent to an officer by /console) or an invitation (opened in
-- Telegram by the new officer). Single use: used_at is set in the statement that checks it.
CREATE TABLE console_links (
    token_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,                  -- signin | invite
    user_id    INTEGER,                        -- signin: the officer it is bound to
    role       TEXT,                           -- invite: the role given
    name       TEXT,                           -- invite: the name given
    created_by INTEGER,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX console_links_expiry ON console_links (expires_at);
-- Signed-in browsers. The cookie holds the token; the row its hash and the form token (CSRF).
CREATE TABLE console_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seen_at    TEXT NOT NULL,
    ended_at   TEXT
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
-- Who did what in the console, and when: sign-ins, invitations, roles, downloads. Actions on
-- broadcasts stay in broadcast_audit; the console's audit page shows both.
CREATE TABLE console_audit (
    id        INTEGER PRIMARY KEY,
    actor_id  INTEGER,                         -- officer user id; NULL: someone not signed in
    action    TEXT NOT NULL,
    target_id INTEGER,                         -- the officer acted on, if any
    detail    TEXT,
    at        TEXT NOT NULL
);
CREATE INDEX console_audit_at ON console_audit (at);
