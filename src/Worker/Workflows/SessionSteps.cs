using Avatar.Contracts;
using Avatar.Persistence;
using Avatar.Worker.Callback;
using Avatar.Worker.Scheduling;
using Avatar.Worker.Security;
using Avatar.Worker.XCompute;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Workflows;

/// <summary>
/// Moves a session one step on: step 1 (create the H5 session and read its link) or step 2 (query, or poll,
/// the verification). Each call makes at most the xcompute calls of one step and leaves the row scheduled or finished.
/// </summary>
public sealed class SessionSteps(
    XComputeClient xcompute, AvatarDbContext db, Schedule schedule, TokenProtector tokens, CallbackLinks callbacks, IOptions<WorkflowOptions> options,
    ILogger<SessionSteps> logger)
{
    /// <summary>The longest byted token a session stores: sealed, it still fits its column.</summary>
    private const int MaxTokenLength = 2048;

    /// <summary>
    /// Advances <paramref name="session"/> by one step; returns the event its transition justifies (null when the step
    /// left it waiting), for the caller to publish once the row is saved.
    /// </summary>
    public async Task<object?> AdvanceAsync(AvatarSession session, CancellationToken cancellationToken)
    {
        switch (session.State)
        {
            case SessionState.Creating when schedule.IsStuck(session):
                return FailCreation(session, AvatarErrorCodes.UpstreamError, Schedule.StuckReason);
            case SessionState.Verifying when schedule.IsStuck(session):
                return FailVerification(session, AvatarErrorCodes.UpstreamError, Schedule.StuckReason);
            case SessionState.Creating:
                return await CreateAsync(session, cancellationToken);
            case SessionState.Verifying when session.VerificationTaskId is null:
                return await QueryVerificationAsync(session, cancellationToken);
            case SessionState.Verifying:
                return await PollVerificationAsync(session, cancellationToken);
            case SessionState.Querying:
                // The worker that sent step 2 stopped before it stored the answer: the token may be spent.
                return FailVerification(session, AvatarErrorCodes.VerificationOutcomeUnknown,
                    "a verification query was in flight when its worker stopped; the byted token is not sent again because it may have been spent; create a new session");
            case SessionState.AwaitingVerification when schedule.Now >= session.Schedule.Deadline:
                return FailVerification(session, AvatarErrorCodes.TokenExpired,
                    $"the session expired at {session.ExpiresAt:O} without AvatarAuthCompleted; create a new session");
            case SessionState.AwaitingVerification:
                schedule.WaitUntil(session, session.Schedule.Deadline);
                return null;
            default:
                schedule.Finish(session);
                return null;
        }
    }

    /// <summary>Starts step 2 for a session whose person finished the H5 page.</summary>
    public void StartVerification(AvatarSession session)
    {
        session.StartVerification();
        schedule.Claim(session, session.ExpiresAt!.Value + options.Value.VerificationGrace);
    }

    /// <summary>Ends a session whose person came back from the H5 page with a failure (the worker's own callback).</summary>
    public AvatarAuthFailed EndWithFailedPage(AvatarSession session, string resultCode) =>
        FailVerification(session, AvatarErrorCodes.VerificationFailed,
            $"the person did not pass the H5 page (result code {(resultCode.Length > 0 ? resultCode : "missing or not a number")})");

    private async Task<object?> CreateAsync(AvatarSession session, CancellationToken cancellationToken)
    {
        if (session.CreateTaskId is null)
        {
            // With the receiver on, the browser comes back to the worker, which sends it on to the caller's URL.
            var timings = options.Value;
            var callbackUrl = callbacks.Enabled
                ? callbacks.For(session.Id, schedule.Now + timings.CreateTimeout + timings.SessionLifetime + timings.VerificationGrace)
                : session.CallbackUrl;
            var created = await xcompute.CreateSessionAsync(callbackUrl, session.ProjectName, cancellationToken);
            if (!created.Succeeded)
            {
                return RetryOrFailCreation(session, created.Failure);
            }

            if (TaskSnapshot.From(created.Data).Id is not { } taskId)
            {
                return FailCreation(session, AvatarErrorCodes.UpstreamError, "xcompute created a session but returned no task id");
            }

            session.CreateTaskId = taskId;
            session.TaskPostedAt = schedule.Now;
        }

        var reply = await xcompute.GetTaskAsync(session.CreateTaskId, TaskAge(session), cancellationToken);
        if (!reply.Succeeded)
        {
            return RetryOrFailCreation(session, reply.Failure);
        }

        var task = TaskSnapshot.From(reply.Data);
        if (task.Result?.String("byted_token") is { Length: > MaxTokenLength })
        {
            return FailCreation(session, AvatarErrorCodes.UpstreamError, $"xcompute's byted token is longer than {MaxTokenLength} characters, more than a session can store");
        }

        if (task.Result?.String("h5_link") is { } h5Link && task.Result?.String("byted_token") is { } bytedToken)
        {
            var created = session.LinkReady(h5Link, tokens.Protect(session.Id, bytedToken), schedule.Now + options.Value.SessionLifetime);
            schedule.WaitUntil(session, created.ExpiresAt + options.Value.VerificationGrace);
            logger.LogInformation("Session {SessionId} created; its H5 link expires at {ExpiresAt}", session.Id, created.ExpiresAt);
            return created;
        }

        if (task.Status is TaskSnapshot.Failed or TaskSnapshot.Cancelled)
        {
            return FailCreation(session, AvatarErrorCodes.UpstreamError, $"xcompute's session task ended {task.Status}: {task.ErrorMessage ?? "no reason given"}");
        }

        return schedule.TryRetry(session) ? null : FailCreation(session, AvatarErrorCodes.UpstreamError, "xcompute did not provide the H5 link before the deadline");
    }

    private AvatarSessionFailed? RetryOrFailCreation(AvatarSession session, XComputeFailure failure)
    {
        if (failure.IsTransient && schedule.TryRetry(session, failure))
        {
            logger.LogDebug("Creating session {SessionId} failed transiently ({Failure}); retrying at {NextPollAt}", session.Id, failure, session.Schedule.NextPollAt);
            return null;
        }

        var code = failure.IsTransient ? AvatarErrorCodes.UpstreamError : ErrorCodes.For(failure);
        return FailCreation(session, code, $"xcompute did not create the session: {failure}");
    }

    private async Task<object?> QueryVerificationAsync(AvatarSession session, CancellationToken cancellationToken)
    {
        if (session.BytedToken is not { } stored)
        {
            return FailVerification(session, AvatarErrorCodes.TokenExpired, "the session no longer holds a byted token");
        }

        if (!tokens.TryUnprotect(session.Id, stored, out var token, out var problem))
        {
            // A key missing on this instance (a rotation rolled out halfway) may be back before the session expires.
            logger.LogError("Session {SessionId} cannot send its verification query: {Problem}", session.Id, problem);
            return RetryUntilExpired(session, reason: $"its stored byted token could be opened ({problem})");
        }

        session.QuerySent();
        await db.RecordInFlightAsync(session, schedule, cancellationToken);
        var reply = await xcompute.QueryVerificationAsync(token, session.ProjectName, cancellationToken);
        session.QueryAnswered();
        if (!reply.Succeeded)
        {
            var failure = reply.Failure;
            return VerificationSignals.Classify(failure.Code, failure.Message) switch
            {
                VerificationSignal.Pending => RetryUntilExpired(session, failure),
                VerificationSignal.Expired => FailVerification(session, AvatarErrorCodes.TokenExpired, $"xcompute no longer accepts the session's byted token: {failure}"),
                VerificationSignal.Failed => FailVerification(session, AvatarErrorCodes.VerificationFailed, $"the person did not pass verification: {failure}"),
                VerificationSignal.Other when failure.IsTransient => RetryUntilExpired(session, failure),
                _ => FailVerification(session, ErrorCodes.For(failure), $"xcompute refused the verification query: {failure}"),
            };
        }

        if (TaskSnapshot.FindGroupId(reply.Data) is { } groupId)
        {
            return await VerifyAsync(session, groupId, cancellationToken);
        }

        var task = TaskSnapshot.From(reply.Data);
        if (task.Status is TaskSnapshot.Failed or TaskSnapshot.Cancelled)
        {
            return EndVerificationTask(session, task);
        }

        if (task.Id is { } taskId)
        {
            // Step 2 answered with a task: poll it for the group rather than spending the token again.
            session.VerificationTaskId = taskId;
            session.TaskPostedAt = schedule.Now;
            session.Schedule.PollAttempts = 0;
            return RetryUntilExpired(session);
        }

        return FailVerification(session, AvatarErrorCodes.UpstreamError, "xcompute answered the verification query with neither a group nor a task");
    }

    private async Task<object?> PollVerificationAsync(AvatarSession session, CancellationToken cancellationToken)
    {
        // The token is only wanted here to be redacted from the answer.
        var token = session.BytedToken is { } stored && tokens.TryUnprotect(session.Id, stored, out var opened, out _) ? opened : null;
        var reply = await xcompute.GetTaskAsync(session.VerificationTaskId!, TaskAge(session), cancellationToken, token);
        if (!reply.Succeeded)
        {
            return reply.Failure.IsTransient
                ? RetryUntilExpired(session, reply.Failure)
                : FailVerification(session, ErrorCodes.For(reply.Failure), $"polling the verification task failed: {reply.Failure}");
        }

        if (TaskSnapshot.FindGroupId(reply.Data) is { } groupId)
        {
            return await VerifyAsync(session, groupId, cancellationToken);
        }

        var task = TaskSnapshot.From(reply.Data);
        return task.IsFinished ? EndVerificationTask(session, task) : RetryUntilExpired(session);
    }

    /// <summary>How long ago the POST that returned the polled task was answered (rows stored before it was kept: since the command).</summary>
    private TimeSpan TaskAge(AvatarSession session) => schedule.Now - (session.TaskPostedAt ?? session.CreatedAt);

    private AvatarAuthFailed EndVerificationTask(AvatarSession session, TaskSnapshot task) =>
        VerificationSignals.Classify(task.ErrorCode, task.ErrorMessage) switch
        {
            // The task ended "not finished yet", but it spent the token, which is never sent twice.
            VerificationSignal.Pending => FailVerification(session, AvatarErrorCodes.TokenExpired,
                "the verification task ended before the person finished the H5 page, and the byted token it spent is not sent again; create a new session"),
            VerificationSignal.Expired => FailVerification(session, AvatarErrorCodes.TokenExpired,
                $"xcompute no longer accepts the session's byted token: {task.ErrorMessage ?? task.ErrorCode}"),
            _ => FailVerification(session, AvatarErrorCodes.VerificationFailed,
                $"the verification task ended {task.Status}: {task.ErrorMessage ?? task.ErrorCode ?? "no reason given"}"),
        };

    /// <summary>Polls again later, or ends the session as expired when its deadline has passed.</summary>
    private AvatarAuthFailed? RetryUntilExpired(AvatarSession session, XComputeFailure? failure = null, string? reason = null) =>
        (failure is null ? schedule.TryRetry(session) : schedule.TryRetry(session, failure))
            ? null
            : FailVerification(session, AvatarErrorCodes.TokenExpired,
                $"the session expired at {session.ExpiresAt:O} before {reason ?? "xcompute confirmed the verification"}; create a new session");

    private async Task<AvatarAuthVerified> VerifyAsync(AvatarSession session, string groupId, CancellationToken cancellationToken)
    {
        // Recorded before the session's own save: a group known as verified whose event is not out yet is harmless,
        // and recording it again is a no-op.
        await VerifiedGroup.RecordAsync(db, groupId, session.Id, session.Owner, cancellationToken);
        var verified = session.Verify(groupId);
        schedule.Finish(session);
        logger.LogInformation("Session {SessionId} verified with group {GroupId}", session.Id, groupId);
        return verified;
    }

    private AvatarSessionFailed FailCreation(AvatarSession session, string errorCode, string reason)
    {
        var failed = session.FailCreation(errorCode, reason);
        Ended(session, errorCode, reason);
        return failed;
    }

    private AvatarAuthFailed FailVerification(AvatarSession session, string errorCode, string reason)
    {
        var failed = session.FailVerification(errorCode, reason);
        Ended(session, errorCode, reason);
        return failed;
    }

    private void Ended(AvatarSession session, string errorCode, string reason)
    {
        schedule.Finish(session);
        logger.LogInformation("Session {SessionId} ended {State} with {ErrorCode}: {Reason}", session.Id, session.State, errorCode, reason);
    }
}
