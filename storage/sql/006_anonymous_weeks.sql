-- Anonymous survey responses keep nothing that could link them back to a resident.
-- Before this, a finished anonymous response kept the day it was started and finished, and its
-- id told the order people started in: matched against residents' NAG, sign-up and last-seen
-- dates, that could single someone out. From now on such a row keeps only its NAG and the week
-- (the Monday of the ISO week) and lives under a random id; the bot does the same when a survey
-- is finished (storage/surveys.py, SurveyStore.complete). This migration treats rows already
-- stored. Rows of surveys that aren't anonymous keep their pseudonym and dates: they are linked
-- on purpose, so residents can change their answers.
CREATE TEMP TABLE anon_rekey (old INTEGER PRIMARY KEY, new INTEGER NOT NULL UNIQUE);
INSERT INTO anon_rekey (old, new)
    SELECT id, -1 - (random() & 4611686018427387903) FROM survey_responses
    WHERE status = 'complete' AND respondent LIKE 'anon:%' AND id >= 0
    ORDER BY random();
INSERT INTO survey_responses
    (id, survey_id, respondent, nag_id, status, current, step, draft, started_on, updated_at,
     completed_on)
    SELECT k.new, r.survey_id, r.respondent, r.nag_id, 'complete', NULL, 0, NULL,
           date(r.completed_on, 'weekday 0', '-6 days'),
           date(r.completed_on, 'weekday 0', '-6 days'),
           date(r.completed_on, 'weekday 0', '-6 days')
    FROM survey_responses r JOIN anon_rekey k ON k.old = r.id
    ORDER BY k.new;
UPDATE survey_answers
    SET response_id = (SELECT k.new FROM anon_rekey k WHERE k.old = survey_answers.response_id)
    WHERE response_id IN (SELECT old FROM anon_rekey);
DELETE FROM survey_responses WHERE id IN (SELECT old FROM anon_rekey);
DROP TABLE anon_rekey;
-- Stopped surveys are unlinked too (no answers are kept): the week is enough for them as well.
UPDATE survey_responses
    SET started_on = date(substr(started_on, 1, 10), 'weekday 0', '-6 days'),
        updated_at = date(substr(updated_at, 1, 10), 'weekday 0', '-6 days')
    WHERE status = 'cancelled' AND respondent LIKE 'anon:%';
