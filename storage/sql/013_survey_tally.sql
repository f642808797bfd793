-- Survey results' running tally (bench/README.md, "Console pages"): the counts every results
-- view is added up from, per survey, NAG ('' = none) and week (the Monday of completed_on), kept
-- by triggers as responses complete, reopen, are cancelled or erased, and as answers of complete
-- responses change. Reading one survey's results then reads a few thousand rows instead of
-- grouping every answer (storage/survey_results.py). Only complete responses are counted, and
-- only answers with a value (a NULL value is a skipped question), as the GROUP BY queries did.
--
-- (Inside a trigger, each statement ends with "; --": migrations split on a ";" at a line end.)
CREATE TABLE survey_tally_totals (
    survey_id TEXT NOT NULL,
    nag       TEXT NOT NULL,
    week      TEXT NOT NULL,
    completed INTEGER NOT NULL,
    PRIMARY KEY (survey_id, nag, week)
) WITHOUT ROWID;
CREATE TABLE survey_tally (
    survey_id   TEXT NOT NULL,
    nag         TEXT NOT NULL,
    week        TEXT NOT NULL,
    question_id TEXT NOT NULL,
    value       TEXT NOT NULL,
    n           INTEGER NOT NULL,  -- responses that chose the value
    firsts      INTEGER NOT NULL,  -- of them, with rank 0 (counts responses answering)
    ranks       INTEGER NOT NULL,  -- sum of 0-based ranks ("top N" ordering)
    PRIMARY KEY (survey_id, nag, week, question_id, value)
) WITHOUT ROWID;
INSERT INTO survey_tally_totals (survey_id, nag, week, completed)
    SELECT survey_id, COALESCE(nag_id, ''), date(completed_on, 'weekday 0', '-6 days'), COUNT(*)
    FROM survey_responses WHERE status = 'complete' GROUP BY 1, 2, 3;
INSERT INTO survey_tally (survey_id, nag, week, question_id, value, n, firsts, ranks)
    SELECT r.survey_id, COALESCE(r.nag_id, ''), date(r.completed_on, 'weekday 0', '-6 days'),
        a.question_id, a.value, COUNT(*), SUM(a.rank = 0), SUM(a.rank)
    FROM survey_responses r JOIN survey_answers a ON a.response_id = r.id
    WHERE r.status = 'complete' AND a.value IS NOT NULL GROUP BY 1, 2, 3, 4, 5;
-- A response counts (sign +1) or stops counting (-1), with its answers.
CREATE TRIGGER survey_tally_response_in AFTER INSERT ON survey_responses
WHEN NEW.status = 'complete' BEGIN
    INSERT INTO survey_tally_totals (survey_id, nag, week, completed)
        VALUES (NEW.survey_id, COALESCE(NEW.nag_id, ''),
                date(NEW.completed_on, 'weekday 0', '-6 days'), 1)
        ON CONFLICT DO UPDATE SET completed = completed + 1; --
    INSERT INTO survey_tally (survey_id, nag, week, question_id, value, n, firsts, ranks)
        SELECT NEW.survey_id, COALESCE(NEW.nag_id, ''),
            date(NEW.completed_on, 'weekday 0', '-6 days'), a.question_id, a.value, COUNT(*),
            SUM(a.rank = 0), SUM(a.rank)
        FROM survey_answers a WHERE a.response_id = NEW.id AND a.value IS NOT NULL
        GROUP BY a.question_id, a.value
        ON CONFLICT DO UPDATE SET n = n + excluded.n, firsts = firsts + excluded.firsts,
            ranks = ranks + excluded.ranks; --
END;
CREATE TRIGGER survey_tally_response_out BEFORE DELETE ON survey_responses
WHEN OLD.status = 'complete' BEGIN
    UPDATE survey_tally_totals SET completed = completed - 1
        WHERE survey_id = OLD.survey_id AND nag = COALESCE(OLD.nag_id, '')
        AND week = date(OLD.completed_on, 'weekday 0', '-6 days'); --
    UPDATE survey_tally SET n = n - 1, firsts = firsts - (a.rank = 0), ranks = ranks - a.rank
        FROM survey_answers a WHERE a.response_id = OLD.id AND a.value IS NOT NULL
        AND survey_tally.survey_id = OLD.survey_id
        AND survey_tally.nag = COALESCE(OLD.nag_id, '')
        AND survey_tally.week = date(OLD.completed_on, 'weekday 0', '-6 days')
        AND survey_tally.question_id = a.question_id AND survey_tally.value = a.value; --
END;
CREATE TRIGGER survey_tally_response_change
AFTER UPDATE OF survey_id, nag_id, status, completed_on ON survey_responses
WHEN OLD.status = 'complete' OR NEW.status = 'complete' BEGIN
    UPDATE survey_tally_totals SET completed = completed - 1
        WHERE OLD.status = 'complete' AND survey_id = OLD.survey_id
        AND nag = COALESCE(OLD.nag_id, '')
        AND week = date(OLD.completed_on, 'weekday 0', '-6 days'); --
    UPDATE survey_tally SET n = n - 1, firsts = firsts - (a.rank = 0), ranks = ranks - a.rank
        FROM survey_answers a WHERE OLD.status = 'complete' AND a.response_id = OLD.id
        AND a.value IS NOT NULL AND survey_tally.survey_id = OLD.survey_id
        AND survey_tally.nag = COALESCE(OLD.nag_id, '')
        AND survey_tally.week = date(OLD.completed_on, 'weekday 0', '-6 days')
        AND survey_tally.question_id = a.question_id AND survey_tally.value = a.value; --
    INSERT INTO survey_tally_totals (survey_id, nag, week, completed)
        SELECT NEW.survey_id, COALESCE(NEW.nag_id, ''),
            date(NEW.completed_on, 'weekday 0', '-6 days'), 1
        WHERE NEW.status = 'complete'
        ON CONFLICT DO UPDATE SET completed = completed + 1; --
    INSERT INTO survey_tally (survey_id, nag, week, question_id, value, n, firsts, ranks)
        SELECT NEW.survey_id, COALESCE(NEW.nag_id, ''),
            date(NEW.completed_on, 'weekday 0', '-6 days'), a.question_id, a.value, COUNT(*),
            SUM(a.rank = 0), SUM(a.rank)
        FROM survey_answers a
        WHERE NEW.status = 'complete' AND a.response_id = NEW.id AND a.value IS NOT NULL
        GROUP BY a.question_id, a.value
        ON CONFLICT DO UPDATE SET n = n + excluded.n, firsts = firsts + excluded.firsts,
            ranks = ranks + excluded.ranks; --
END;
-- An answer of a complete response counts (+1) or stops counting (-1).
CREATE TRIGGER survey_tally_answer_in AFTER INSERT ON survey_answers
WHEN NEW.value IS NOT NULL BEGIN
    INSERT INTO survey_tally (survey_id, nag, week, question_id, value, n, firsts, ranks)
        SELECT r.survey_id, COALESCE(r.nag_id, ''),
            date(r.completed_on, 'weekday 0', '-6 days'), NEW.question_id, NEW.value, 1,
            NEW.rank = 0, NEW.rank
        FROM survey_responses r WHERE r.id = NEW.response_id AND r.status = 'complete'
        ON CONFLICT DO UPDATE SET n = n + 1, firsts = firsts + excluded.firsts,
            ranks = ranks + excluded.ranks; --
END;
CREATE TRIGGER survey_tally_answer_out AFTER DELETE ON survey_answers
WHEN OLD.value IS NOT NULL BEGIN
    UPDATE survey_tally SET n = n - 1, firsts = firsts - (OLD.rank = 0), ranks = ranks - OLD.rank
        FROM survey_responses r WHERE r.id = OLD.response_id AND r.status = 'complete'
        AND survey_tally.survey_id = r.survey_id AND survey_tally.nag = COALESCE(r.nag_id, '')
        AND survey_tally.week = date(r.completed_on, 'weekday 0', '-6 days')
        AND survey_tally.question_id = OLD.question_id AND survey_tally.value = OLD.value; --
END;
CREATE TRIGGER survey_tally_answer_change AFTER UPDATE ON survey_answers BEGIN
    UPDATE survey_tally SET n = n - 1, firsts = firsts - (OLD.rank = 0), ranks = ranks - OLD.rank
        FROM survey_responses r WHERE OLD.value IS NOT NULL AND r.id = OLD.response_id
        AND r.status = 'complete' AND survey_tally.survey_id = r.survey_id
        AND survey_tally.nag = COALESCE(r.nag_id, '')
        AND survey_tally.week = date(r.completed_on, 'weekday 0', '-6 days')
        AND survey_tally.question_id = OLD.question_id AND survey_tally.value = OLD.value; --
    INSERT INTO survey_tally (survey_id, nag, week, question_id, value, n, firsts, ranks)
        SELECT r.survey_id, COALESCE(r.nag_id, ''),
            date(r.completed_on, 'weekday 0', '-6 days'), NEW.question_id, NEW.value, 1,
            NEW.rank = 0, NEW.rank
        FROM survey_responses r WHERE NEW.value IS NOT NULL AND r.id = NEW.response_id
        AND r.status = 'complete'
        ON CONFLICT DO UPDATE SET n = n + 1, firsts = firsts + excluded.firsts,
            ranks = ranks + excluded.ranks; --
END;
