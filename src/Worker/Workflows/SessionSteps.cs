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

    /// <summary>Advances <paramref name="session"/>; true when its state changed (and may have an event to announce).</summary>
    public async Task<bool> AdvanceAsync(AvatarSession session, CancellationToken cancellationToken)
    {
        var before = session.State;
        switch (session.State)
        {
            case SessionState.Creating when schedule.IsStuck(session):
                Fail(session, SessionState.CreationFailed, AvatarErrorCodes.UpstreamError, Schedule.StuckReason);
                break;
            case SessionState.Verifying when schedule.IsStuck(session):
                Fail(session, SessionState.VerificationFailed, AvatarErrorCodes.UpstreamError, Schedule.StuckReason);
                break;
            case SessionState.Creating:
                await CreateAsync(session, cancellationToken);
                break;
            case SessionState.Verifying when session.VerificationTaskId is null:
                await QueryVerificationAsync(session, cancellationToken);
                break;
            case SessionState.Verifying:
                await PollVerificationAsync(session, cancellationToken);
                break;
            case SessionState.Querying:
                // The worker that sent step 2 stopped before it stored the answer: the token may be spent.
                Fail(session, SessionState.VerificationFailed, AvatarErrorCodes.VerificationOutcomeUnknown,
                    "a verification query was in flight when its worker stopped; the byted token is not sent again because it may have been spent; create a new session");
                break;
            case SessionState.AwaitingVerification when schedule.Now >= session.Schedule.Deadline:
                Fail(session, SessionState.VerificationFailed, AvatarErrorCodes.TokenExpired,
                    $"the session expired at {session.ExpiresAt:O} without AvatarAuthCompleted; create a new session");
                break;
            case SessionState.AwaitingVerification:
                schedule.WaitUntil(session, session.Schedule.Deadline);
                break;
            default:
                schedule.Finish(session);
                break;
        }

        return session.State != before;
    }

    /// <summary>Starts step 2 for a session whose person finished the H5 page.</summary>
    public void StartVerification(AvatarSession session)
    {
        session.State = SessionState.Verifying;
        schedule.Claim(session, session.ExpiresAt!.Value + options.Value.VerificationGrace);
    }

    /// <summary>Ends a session whose person came back from the H5 page with a failure (the worker's own callback).</summary>
    public void EndWithFailedPage(AvatarSession session, string resultCode) =>
        Fail(session, SessionState.VerificationFailed, AvatarErrorCodes.VerificationFailed,
            $"the person did not pass the H5 page (result code {(resultCode.Length > 0 ? resultCode : "missing or not a number")})");

    private async Task CreateAsync(AvatarSession session, CancellationToken cancellationToken)
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
                RetryOrFailCreation(session, created.Failure);
                return;
            }

            if (TaskSnapshot.From(created.Data).Id is not { } taskId)
            {
                Fail(session, SessionState.CreationFailed, AvatarErrorCodes.UpstreamError, "xcompute created a session but returned no task id");
                return;
            }

            session.CreateTaskId = taskId;
        }

        var reply = await xcompute.GetTaskAsync(session.CreateTaskId, cancellationToken);
        if (!reply.Succeeded)
        {
            RetryOrFailCreation(session, reply.Failure);
            return;
        }

        var task = TaskSnapshot.From(reply.Data);
        if (task.Result?.String("byted_token") is { Length: > MaxTokenLength })
        {
            Fail(session, SessionState.CreationFailed, AvatarErrorCodes.UpstreamError, $"xcompute's byted token is longer than {MaxTokenLength} characters, more than a session can store");
        }
        else if (task.Result?.String("h5_link") is { } h5Link && task.Result?.String("byted_token") is { } bytedToken)
        {
            var now = schedule.Now;
            session.State = SessionState.AwaitingVerification;
            session.H5Link = h5Link;
            session.BytedToken = tokens.Protect(session.Id, bytedToken);
            session.ExpiresAt = now + options.Value.SessionLifetime;
            schedule.WaitUntil(session, session.ExpiresAt.Value + options.Value.VerificationGrace);
            logger.LogInformation("Session {SessionId} created; its H5 link expires at {ExpiresAt}", session.Id, session.ExpiresAt);
        }
        else if (task.Status is TaskSnapshot.Failed or TaskSnapshot.Cancelled)
        {
            Fail(session, SessionState.CreationFailed, AvatarErrorCodes.UpstreamError, $"xcompute's session task ended {task.Status}: {task.ErrorMessage ?? "no reason given"}");
        }
        else if (!schedule.TryRetry(session))
        {
            Fail(session, SessionState.CreationFailed, AvatarErrorCodes.UpstreamError, "xcompute did not provide the H5 link before the deadline");
        }
    }

    private void RetryOrFailCreation(AvatarSession session, XComputeFailure failure)
    {
        if (failure.IsTransient && schedule.TryRetry(session, failure))
        {
            logger.LogDebug("Creating session {SessionId} failed transiently ({Failure}); retrying at {NextPollAt}", session.Id, failure, session.Schedule.NextPollAt);
            return;
        }

        var code = failure.IsTransient ? AvatarErrorCodes.UpstreamError : ErrorCodes.For(failure);
        Fail(session, SessionState.CreationFailed, code, $"xcompute did not create the session: {failure}");
    }

    private async Task QueryVerificationAsync(AvatarSession session, CancellationToken cancellationToken)
    {
        if (session.BytedToken is not { } stored)
        {
            Fail(session, SessionState.VerificationFailed, AvatarErrorCodes.TokenExpired, "the session no longer holds a byted token");
            return;
        }

        if (!tokens.TryUnprotect(session.Id, stored, out var token, out var problem))
        {
            // A key missing on this instance (a rotation rolled out halfway) may be back before the session expires.
            logger.LogError("Session {SessionId} cannot send its verification query: {Problem}", session.Id, problem);
            RetryUntilExpired(session, reason: $"its stored byted token could be opened ({problem})");
            return;
        }

        session.State = SessionState.Querying;
        await db.RecordInFlightAsync(session, schedule, cancellationToken);
        var reply = await xcompute.QueryVerificationAsync(token, session.ProjectName, cancellationToken);
        session.State = SessionState.Verifying;
        if (!reply.Succeeded)
        {
            var failure = reply.Failure;
            switch (VerificationSignals.Classify(failure.Code, failure.Message))
            {
                case VerificationSignal.Pending:
                    RetryUntilExpired(session, failure);
                    break;
                case VerificationSignal.Expired:
                    Fail(session, SessionState.VerificationFailed, AvatarErrorCodes.TokenExpired, $"xcompute no longer accepts the session's byted token: {failure}");
                    break;
                case VerificationSignal.Failed:
                    Fail(session, SessionState.VerificationFailed, AvatarErrorCodes.VerificationFailed, $"the person did not pass verification: {failure}");
                    break;
                case VerificationSignal.Other when failure.IsTransient:
                    RetryUntilExpired(session, failure);
                    break;
                default:
                    Fail(session, SessionState.VerificationFailed, ErrorCodes.For(failure), $"xcompute refused the verification query: {failure}");
                    break;
            }

            return;
        }

        if (TaskSnapshot.FindGroupId(reply.Data) is { } groupId)
        {
            await VerifyAsync(session, groupId, cancellationToken);
            return;
        }

        var task = TaskSnapshot.From(reply.Data);
        if (task.Status is TaskSnapshot.Failed or TaskSnapshot.Cancelled)
        {
            EndVerificationTask(session, task);
        }
        else if (task.Id is { } taskId)
        {
            // Step 2 answered with a task: poll it for the group rather than spending the token again.
            session.VerificationTaskId = taskId;
            session.Schedule.PollAttempts = 0;
            RetryUntilExpired(session);
        }
        else
        {
            Fail(session, SessionState.VerificationFailed, AvatarErrorCodes.UpstreamError, "xcompute answered the verification query with neither a group nor a task");
        }
    }

    private async Task PollVerificationAsync(AvatarSession session, CancellationToken cancellationToken)
    {
        // The token is only wanted here to be redacted from the answer.
        var token = session.BytedToken is { } stored && tokens.TryUnprotect(session.Id, stored, out var opened, out _) ? opened : null;
        var reply = await xcompute.GetTaskAsync(session.VerificationTaskId!, cancellationToken, token);
        if (!reply.Succeeded)
        {
            if (reply.Failure.IsTransient)
            {
                RetryUntilExpired(session, reply.Failure);
            }
            else
            {
                Fail(session, SessionState.VerificationFailed, ErrorCodes.For(reply.Failure), $"polling the verification task failed: {reply.Failure}");
            }

            return;
        }

        if (TaskSnapshot.FindGroupId(reply.Data) is { } groupId)
        {
            await VerifyAsync(session, groupId, cancellationToken);
            return;
        }

        var task = TaskSnapshot.From(reply.Data);
        if (task.IsFinished)
        {
            EndVerificationTask(session, task);
        }
        else
        {
            RetryUntilExpired(session);
        }
    }

    private void EndVerificationTask(AvatarSession session, TaskSnapshot task)
    {
        switch (VerificationSignals.Classify(task.ErrorCode, task.ErrorMessage))
        {
            case VerificationSignal.Pending:
                // The task ended "not finished yet", but it spent the token, which is never sent twice.
                Fail(session, SessionState.VerificationFailed, AvatarErrorCodes.TokenExpired,
                    "the verification task ended before the person finished the H5 page, and the byted token it spent is not sent again; create a new session");
                break;
            case VerificationSignal.Expired:
                Fail(session, SessionState.VerificationFailed, AvatarErrorCodes.TokenExpired, $"xcompute no longer accepts the session's byted token: {task.ErrorMessage ?? task.ErrorCode}");
                break;
            default:
                Fail(session, SessionState.VerificationFailed, AvatarErrorCodes.VerificationFailed, $"the verification task ended {task.Status}: {task.ErrorMessage ?? task.ErrorCode ?? "no reason given"}");
                break;
        }
    }

    private void RetryUntilExpired(AvatarSession session, XComputeFailure? failure = null, string? reason = null)
    {
        if (!(failure is null ? schedule.TryRetry(session) : schedule.TryRetry(session, failure)))
        {
            Fail(session, SessionState.VerificationFailed, AvatarErrorCodes.TokenExpired,
                $"the session expired at {session.ExpiresAt:O} before {reason ?? "xcompute confirmed the verification"}; create a new session");
        }
    }

    private async Task VerifyAsync(AvatarSession session, string groupId, CancellationToken cancellationToken)
    {
        // Recorded before the session's own save: a group known as verified whose event is not out yet is harmless,
        // and recording it again is a no-op.
        await VerifiedGroup.RecordAsync(db, groupId, session.Id, cancellationToken);
        session.State = SessionState.Verified;
        session.GroupId = groupId;
        session.BytedToken = null;
        schedule.Finish(session);
        logger.LogInformation("Session {SessionId} verified with group {GroupId}", session.Id, groupId);
    }

    private void Fail(AvatarSession session, SessionState state, string errorCode, string reason)
    {
        session.State = state;
        session.ErrorCode = errorCode;
        session.ErrorReason = reason;
        session.BytedToken = null;
        schedule.Finish(session);
        logger.LogInformation("Session {SessionId} ended {State} with {ErrorCode}: {Reason}", session.Id, state, errorCode, reason);
    }
}
