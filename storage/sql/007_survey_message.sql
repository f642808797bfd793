-- The message that shows an open response's current question, so a typed answer can edit it
-- into its answered state and take its buttons off, and so Back, resuming or a stale button
-- reuse that one message instead of posting another copy (at most one live question in a chat).
-- Kept only while the response is open: set back to NULL when it is finished or stopped, and
-- never copied to the unlinked row of a finished anonymous response (a message number counts
-- the messages in one chat, so it could point back to the resident).
ALTER TABLE survey_responses ADD COLUMN message_id INTEGER;
