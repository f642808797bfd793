-- The Reach page's residents per NAG by status, and every audience figure's parts
-- (bot/services/audiences.py, storage/reach.py `statuses`), at 100,000 residents: the
-- GROUP BY nag_id reads this covering index in order instead of every row of the table.
CREATE INDEX residents_statuses ON residents (nag_id, active, consent, consent_at);
-- "Stopped" per NAG and month now counts only those who have not blocked the bot since.
CREATE INDEX residents_said_no ON residents (nag_id, substr(consent_at, 1, 7))
    WHERE consent = 0 AND consent_at IS NOT NULL AND active = 1;
