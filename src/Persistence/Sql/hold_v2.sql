-- The hold, version 2 (migration LighterHold), the one in use: docs/adr/0006-hold-in-plpgsql.md.
-- A poll's message carries the claim the dispatcher made; the hold checks that the claim is still the row's (a
-- duplicate or a late message gets no row), replaces it with the poll's own token, extends the lease, counts the
-- attempt, and returns the row, in one statement. PL/pgSQL rather than SQL: PostgreSQL plans the UPDATE of a SQL
-- function again on every call, that of a PL/pgSQL function once per connection. synchronous_commit off for its own
-- transaction: a hold is a lease, and a hold lost in a database crash leaves the row as its claim left it (the poll's
-- save, conditioned on the new token, then fails, and the row is held or claimed again).
-- To change the hold: write hold_v3.sql and a migration that applies it (and hold_v2.sql in its Down).

CREATE OR REPLACE FUNCTION avatar.hold_sessions(row_id uuid, claim uuid, hold uuid, lease interval)
RETURNS SETOF avatar.sessions LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    RETURN QUERY
    UPDATE avatar.sessions
    SET "LeaseToken" = hold, "NextPollAt" = now() + lease, "UnfinishedAttempts" = "UnfinishedAttempts" + 1
    WHERE "Id" = row_id AND "LeaseToken" = claim AND "NextPollAt" > now()
    RETURNING *;
END
$$;

CREATE OR REPLACE FUNCTION avatar.hold_submissions(row_id uuid, claim uuid, hold uuid, lease interval)
RETURNS SETOF avatar.submissions LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    RETURN QUERY
    UPDATE avatar.submissions
    SET "LeaseToken" = hold, "NextPollAt" = now() + lease, "UnfinishedAttempts" = "UnfinishedAttempts" + 1
    WHERE "Id" = row_id AND "LeaseToken" = claim AND "NextPollAt" > now()
    RETURNING *;
END
$$;
