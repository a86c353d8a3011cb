using Avatar.Contracts;
using Avatar.Persistence;
using Avatar.Worker.Scheduling;
using Avatar.Worker.Telemetry;
using Avatar.Worker.XCompute;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Workflows;

/// <summary>
/// Moves a submission one step on: step 3 (submit for review) or one poll of the review task.
/// </summary>
public sealed class SubmissionSteps(
    XComputeClient xcompute, AvatarDbContext db, Schedule schedule, AvatarMetrics metrics, IOptions<WorkflowOptions> options, ILogger<SubmissionSteps> logger)
{
    /// <summary>
    /// Advances <paramref name="submission"/> by one step; returns the outcome its transition justifies (null while
    /// the review goes on), for the caller to publish once the row is saved.
    /// </summary>
    public async Task<object?> AdvanceAsync(AvatarSubmission submission, CancellationToken cancellationToken)
    {
        switch (submission.State)
        {
            case SubmissionState.Pending or SubmissionState.InReview when schedule.IsStuck(submission):
                return Reject(submission, AvatarErrorCodes.UpstreamError, Schedule.StuckReason);
            case SubmissionState.Pending:
                // Recorded before the call: finding "Submitting" later means nobody knows whether xcompute took it.
                submission.SubmitAgain();
                await db.RecordInFlightAsync(submission, schedule, cancellationToken);
                return await SubmitAsync(submission, cancellationToken);
            case SubmissionState.Submitting:
                // The worker that sent step 3 stopped before it stored the answer.
                return Reject(submission, AvatarErrorCodes.SubmitOutcomeUnknown,
                    "a submit was in flight when its worker stopped; it is not sent again because xcompute may already be reviewing it");
            case SubmissionState.InReview:
                return await PollAsync(submission, cancellationToken);
            default:
                schedule.Finish(submission);
                return null;
        }
    }

    /// <summary>
    /// Step 3 for a submission already stored as <see cref="SubmissionState.Submitting"/> (by
    /// <see cref="AdvanceAsync"/>, or by the insert of a new one): sends it and applies the answer, to be saved by the
    /// caller; returns the outcome, if the answer ended the review.
    /// </summary>
    public async Task<object?> SubmitAsync(AvatarSubmission submission, CancellationToken cancellationToken)
    {
        var request = new SubmitAssetsRequest(
            submission.GroupId,
            submission.ProjectName,
            submission.AssetType.ToString(),
            submission.Assets.ConvertAll(a => new AssetReference(a.Url, a.Name)));

        var reply = await xcompute.SubmitAssetsAsync(request, cancellationToken);
        if (!reply.Succeeded)
        {
            return SubmitFailed(submission, reply.Failure);
        }

        var task = TaskSnapshot.From(reply.Data);
        if (task.Id is not { } taskId)
        {
            return Reject(submission, AvatarErrorCodes.UpstreamError, "xcompute accepted the submission but returned no task id");
        }

        // Counted from the send: xcompute starts the review (and its estimate's clock) when it receives the request, and
        // a worker busy with a burst of submissions may resume long after the answer came back.
        submission.Submitted(taskId, schedule.Now - reply.RoundTrip);
        submission.Schedule.PollAttempts = 0;
        logger.LogInformation("Submission {SubmissionId} is in review as task {TaskId}", submission.Id, taskId);
        return Apply(submission, task);
    }

    private AvatarAssetsRejected? SubmitFailed(AvatarSubmission submission, XComputeFailure failure)
    {
        if (failure.CertainlyNotTaken)
        {
            submission.NotTaken();
            if (schedule.TryRetry(submission, failure))
            {
                // Counted in avatar.xcompute.requests; a 429's pause is logged once by the RequestBudget, not once a call.
                logger.LogDebug("xcompute did not take submission {SubmissionId} ({Failure}); retrying at {NextPollAt}", submission.Id, failure, submission.Schedule.NextPollAt);
                return null;
            }

            return Reject(submission, AvatarErrorCodes.UpstreamError, $"xcompute did not take the submission before the deadline: {failure}");
        }

        if (failure.Kind is FailureKind.ServerError or FailureKind.NoResponse)
        {
            return Reject(submission, AvatarErrorCodes.SubmitOutcomeUnknown,
                $"xcompute may or may not have started a review ({failure}); it is not resubmitted, to avoid a duplicate review");
        }

        return Reject(submission, ErrorCodes.For(failure), $"xcompute refused the submission: {failure}");
    }

    private async Task<object?> PollAsync(AvatarSubmission submission, CancellationToken cancellationToken)
    {
        var reply = await xcompute.GetTaskAsync(submission.TaskId!, schedule.Now - (submission.SubmittedAt ?? submission.CreatedAt), cancellationToken);
        if (reply.Succeeded)
        {
            return Apply(submission, TaskSnapshot.From(reply.Data));
        }

        var failure = reply.Failure;
        if (failure.IsTransient)
        {
            // Transient failures never end a review before its deadline.
            logger.LogDebug("Polling submission {SubmissionId} failed transiently: {Failure}", submission.Id, failure);
            return RetryUntilDeadline(submission, $"the last poll failed: {failure}", failure);
        }

        var code = failure.Kind == FailureKind.Rejected ? AvatarErrorCodes.UpstreamError : ErrorCodes.For(failure);
        return Reject(submission, code, $"polling review task {submission.TaskId} failed: {failure}");
    }

    private object? Apply(AvatarSubmission submission, TaskSnapshot task)
    {
        ReviewObservation? previous = submission.ProgressAt is { } at ? new(at, submission.Progress, null) : null;
        var seen = new ReviewObservation(schedule.Now, task.Progress, task.EstimatedTime ?? submission.EstimatedTime);
        var submittedAt = submission.SubmittedAt ?? submission.CreatedAt;
        submission.TaskStatus = task.Status;
        submission.EstimatedTime = seen.Estimate;
        if (task.Progress is { } progress)
        {
            submission.Progress = progress;
            submission.ProgressAt = seen.At;
        }

        if (task.IsFinished)
        {
            schedule.ReviewEnded(seen.Estimate, task.ActualTime);
        }

        switch (task.Status)
        {
            case TaskSnapshot.Completed:
                var approved = ReviewResult.From(task.Result, [.. submission.Assets.Select(a => a.Name)]);
                if (approved.Usable.Count == 0)
                {
                    return Reject(submission, AvatarErrorCodes.UpstreamError, "xcompute completed the review but listed no usable assets", approved);
                }

                var outcome = submission.Approve(Rows(approved.Usable), schedule.Now);
                Ended(submission);
                logger.LogInformation("Submission {SubmissionId} approved with {Count} asset(s)", submission.Id, approved.Usable.Count);
                return outcome;
            case TaskSnapshot.Failed:
                var result = ReviewResult.From(task.Result, [.. submission.Assets.Select(a => a.Name)]);
                var detail = task.ErrorMessage ?? task.ErrorCode ?? "no reason given";
                return Reject(submission, AvatarErrorCodes.TaskFailed,
                    $"{result.Failed.Count} of {submission.Assets.Count} asset(s) failed review ({detail}); {result.Usable.Count} remain usable", result);
            case TaskSnapshot.Cancelled:
                return Reject(submission, AvatarErrorCodes.TaskCancelled, "the review task was cancelled at xcompute", ReviewResult.From(task.Result, [.. submission.Assets.Select(a => a.Name)]));
            default:
                // pending, processing and statuses nobody documented: keep polling.
                logger.LogDebug("Submission {SubmissionId} is {Status} at {Progress}%", submission.Id, task.Status, task.Progress);
                return schedule.TryPollReview(submission, submittedAt, seen, previous)
                    ? null
                    : Reject(submission, AvatarErrorCodes.ReviewTimeout,
                        $"the review did not finish within {options.Value.ReviewTimeout}; it was still {task.Status} at {task.Progress ?? 0}%");
        }
    }

    private AvatarAssetsRejected? RetryUntilDeadline(AvatarSubmission submission, string detail, XComputeFailure failure) =>
        schedule.TryRetry(submission, failure)
            ? null
            : Reject(submission, AvatarErrorCodes.ReviewTimeout, $"the review did not finish within {options.Value.ReviewTimeout}; {detail}");

    /// <summary>What xcompute reported, as the submission stores it.</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(assets))]
    private static List<ReviewedAsset>? Rows(IReadOnlyList<ReportedAsset>? assets) =>
        assets?.Select(a => new ReviewedAsset { AssetId = a.AssetId, AssetUrl = a.AssetUrl, Name = a.Name, Status = a.Status }).ToList();

    private AvatarAssetsRejected Reject(AvatarSubmission submission, string errorCode, string reason, ReviewResult? result = null)
    {
        var outcome = submission.Reject(errorCode, reason, Rows(result?.Usable), Rows(result?.Failed), schedule.Now);
        Ended(submission);
        logger.LogInformation("Submission {SubmissionId} rejected with {ErrorCode}: {Reason}", submission.Id, errorCode, reason);
        return outcome;
    }

    private void Ended(AvatarSubmission submission)
    {
        schedule.Finish(submission);
        metrics.ReviewEnded(submission.CompletedAt!.Value - submission.CreatedAt);
    }
}
