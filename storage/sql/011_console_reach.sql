-- The console's Reach page and the reminders' audience counts, at 100,000 residents
-- (bench/README.md, "Console pages"): each query reads a small index in the order it groups by
-- (by NAG, then the month: the first seven characters of the timestamp), not the table and a sort.
-- Joined per NAG and month (storage/reach.py).
CREATE INDEX residents_joined ON residents (nag_id, substr(created_at, 1, 7));
-- Stopped campaign messages per NAG and month: only those who said no or sent /stop.
CREATE INDEX residents_stopped ON residents (nag_id, substr(consent_at, 1, 7))
    WHERE consent = 0 AND consent_at IS NOT NULL;
-- Blocked the bot per NAG and month: only those who blocked it.
CREATE INDEX residents_blocked ON residents (nag_id, substr(updated_at, 1, 7))
    WHERE active = 0;
-- Residents per sign-up source.
CREATE INDEX residents_source ON residents (source);
-- Meeting reminders' audience per NAG (Home and /scheduled count every planned reminder's).
CREATE INDEX residents_reminders ON residents (nag_id, remind_meetings, active);
