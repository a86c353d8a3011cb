-- The hold, version 1 (migration HoldReturnsTheRow): one function per scheduled table that holds a claimed row and
-- returns it, so a poll holds and reads its row in one statement (PollSchedule.HoldAsync). SETOF the table: the row
-- type follows columns added later. Replaced by hold_v2.sql; kept as the history the migrations replay.

CREATE FUNCTION avatar.hold_sessions(row_id uuid, claim uuid, hold uuid, lease interval)
RETURNS SETOF avatar.sessions LANGUAGE sql VOLATILE AS $$
    UPDATE avatar.sessions
    SET "LeaseToken" = hold, "NextPollAt" = now() + lease, "UnfinishedAttempts" = "UnfinishedAttempts" + 1
    WHERE "Id" = row_id AND "LeaseToken" = claim AND "NextPollAt" > now()
    RETURNING *
$$;

CREATE FUNCTION avatar.hold_submissions(row_id uuid, claim uuid, hold uuid, lease interval)
RETURNS SETOF avatar.submissions LANGUAGE sql VOLATILE AS $$
    UPDATE avatar.submissions
    SET "LeaseToken" = hold, "NextPollAt" = now() + lease, "UnfinishedAttempts" = "UnfinishedAttempts" + 1
    WHERE "Id" = row_id AND "LeaseToken" = claim AND "NextPollAt" > now()
    RETURNING *
$$;
