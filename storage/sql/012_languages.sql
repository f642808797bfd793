-- Issue 23, languages. An officer's typed broadcast may carry translations: one row per
-- language, delivered to the residents who read it (English, the broadcast's own text, to the
-- rest). Meeting reminders keep theirs here too. Erased with the broadcast.
CREATE TABLE broadcast_texts (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    language     TEXT NOT NULL,
    text         TEXT NOT NULL,                 -- final HTML in that language
    PRIMARY KEY (broadcast_id, language)
) WITHOUT ROWID;
-- The /start language question ("Polski? / English?"), kept in the resident's row so a restart
-- neither loses it nor asks it twice: 'pl?<deep link>' while it waits for an answer (the deep
-- link they opened, often empty), 'pl' once answered. NULL: never asked.
ALTER TABLE residents ADD COLUMN language_offer TEXT;
