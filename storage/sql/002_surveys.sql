-- Survey responses. A response is keyed by `respondent`: an HMAC of the chat id (never the chat
-- id itself) while it is in progress or linkable; for anonymous surveys it is replaced by a
-- random token on completion, and only `survey_completions` remembers that the pseudonym answered.
CREATE TABLE survey_responses (
    id           INTEGER PRIMARY KEY,
    survey_id    TEXT NOT NULL,
    respondent   TEXT NOT NULL,
    nag_id       TEXT,                          -- the respondent's NAG, for per-NAG results
    status       TEXT NOT NULL DEFAULT 'open',  -- open | complete | cancelled
    current      TEXT,                          -- question being asked (open responses)
    step         INTEGER NOT NULL DEFAULT 0,    -- bumped on every move: stale buttons are refused
    draft        TEXT,                          -- JSON picks of a multi/top question not yet done
    started_on   TEXT NOT NULL,                 -- dates only: times could link anonymous rows
    updated_at   TEXT NOT NULL,
    completed_on TEXT
);
CREATE INDEX survey_responses_respondent ON survey_responses (respondent, status);
CREATE INDEX survey_responses_results ON survey_responses (survey_id, status, nag_id, completed_on);
-- One row per chosen value: choice answers aggregate with GROUP BY. `value` NULL = skipped;
-- `rank` orders the picks of a "top N" question (0 otherwise).
CREATE TABLE survey_answers (
    response_id INTEGER NOT NULL REFERENCES survey_responses (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    rank        INTEGER NOT NULL DEFAULT 0,
    value       TEXT,
    PRIMARY KEY (response_id, question_id, rank)
) WITHOUT ROWID;
CREATE INDEX survey_answers_values ON survey_answers (question_id, value, response_id);
-- Who has finished which survey (enforces one response per resident; no time, no link to rows).
CREATE TABLE survey_completions (
    survey_id  TEXT NOT NULL,
    respondent TEXT NOT NULL,
    PRIMARY KEY (survey_id, respondent)
) WITHOUT ROWID;
-- "You said, we did": a survey's results are sent to participants once.
CREATE TABLE survey_results_sent (
    survey_id TEXT PRIMARY KEY,
    sent_at   TEXT NOT NULL
);
