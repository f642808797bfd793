-- Safeguarding answers given, counted per ISO week and category. Never the message text, never
-- a chat id, never a time of day: officers see what residents are facing, nobody can be traced.
CREATE TABLE safety_counts (
    week     TEXT NOT NULL,               -- ISO week in the bot's time zone, e.g. 2026-W48
    category TEXT NOT NULL,               -- a category id from content/safety.yaml
    count    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (week, category)
) WITHOUT ROWID;
