-- The area question the bot has open with the resident (issue 19): 'none', 'offered' (a choice
-- or "Is this right?" with buttons) or 'asked' ("Where do you live?" with the share-location
-- keyboard up). area_step grows with every question and answer: a button carries the step it
-- was drawn for, so one from an earlier question is recognised and changes nothing.
ALTER TABLE residents ADD COLUMN area_question TEXT NOT NULL DEFAULT 'none';
ALTER TABLE residents ADD COLUMN area_step INTEGER NOT NULL DEFAULT 0;
