-- When the resident last used the bot (a date, written at most once a day), so data of people
-- who stopped using the bot can be deleted after the retention period stated in /privacy.
ALTER TABLE residents ADD COLUMN last_seen TEXT;
CREATE INDEX residents_last_seen ON residents (last_seen);
