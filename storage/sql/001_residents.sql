-- Residents: the minimum needed to serve someone. No names, no usernames, no phone numbers.
CREATE TABLE residents (
    chat_id         INTEGER PRIMARY KEY,          -- private chat id (equals the user id)
    nag_id          TEXT,                         -- chosen Neighbourhood Action Group
    language        TEXT NOT NULL DEFAULT 'en',
    consent         INTEGER NOT NULL DEFAULT 0,   -- 1 = opted in to campaign messages
    consent_at      TEXT,                         -- when consent was given or withdrawn (UTC ISO)
    source          TEXT,                         -- how they found us, e.g. 'qr:fishermead'
    active          INTEGER NOT NULL DEFAULT 1,   -- 0 after they block the bot
    remind_meetings INTEGER NOT NULL DEFAULT 0,   -- 1 = remind me the day before meetings
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX residents_audience ON residents (nag_id, consent, active);
