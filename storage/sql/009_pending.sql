-- Where a resident was going when the bot had to ask something first: a survey link opened
-- before choosing an area ('survey:community-safety'), or the /survey list ('surveys:'). Kept
-- in the resident's row, not in memory, so the bot still carries on there after a restart;
-- cleared when it does. NULL: nowhere pending.
ALTER TABLE residents ADD COLUMN pending TEXT;
