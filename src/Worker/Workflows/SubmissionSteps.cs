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
    /// <summary>Advances <paramref name="submission"/>; true when its state changed (and may have an event to announce).</summary>
    public async Task<bool> AdvanceAsync(AvatarSubmission submission, CancellationToken cancellationToken)
    {
        var before = submission.State;
        switch (submission.State)
        {
            case SubmissionState.Pending or SubmissionState.InReview when schedule.IsStuck(submission):
                Reject(submission, AvatarErrorCodes.UpstreamError, Schedule.StuckReason);
                break;
            case SubmissionState.Pending:
                // Recorded before the call: finding "Submitting" later means nobody knows whether xcompute took it.
                submission.State = SubmissionState.Submitting;
                await db.RecordInFlightAsync(submission, schedule, cancellationToken);
                await SubmitAsync(submission, cancellationToken);
                break;
            case SubmissionState.Submitting:
                // The worker that sent step 3 stopped before it stored the answer.
                Reject(submission, AvatarErrorCodes.SubmitOutcomeUnknown,
                    "a submit was in flight when its worker stopped; it is not sent again because xcompute may already be reviewing it");
                break;
            case SubmissionState.InReview:
                await PollAsync(submission, cancellationToken);
                break;
            default:
                schedule.Finish(submission);
                break;
        }

        return submission.State != before;
    }

    /// <summary>
    /// Step 3 for a submission already stored as <see cref="SubmissionState.Submitting"/> (by
    /// <see cref="AdvanceAsync"/>, or by the insert of a new one): sends it and applies the answer, to be saved by the caller.
    /// </summary>
    public async Task SubmitAsync(AvatarSubmission submission, CancellationToken cancellationToken)
    {
        var request = new SubmitAssetsRequest(
            submission.GroupId,
            submission.ProjectName,
            submission.AssetType.ToString(),
            submission.Assets.ConvertAll(a => new AssetReference(a.Url, a.Name)));

        var reply = await xcompute.SubmitAssetsAsync(request, cancellationToken);
        if (!reply.Succeeded)
        {
            SubmitFailed(submission, reply.Failure);
            return;
        }

        var task = TaskSnapshot.From(reply.Data);
        if (task.Id is not { } taskId)
        {
            Reject(submission, AvatarErrorCodes.UpstreamError, "xcompute accepted the submission but returned no task id");
            return;
        }

        submission.State = SubmissionState.InReview;
        submission.TaskId = taskId;
        submission.SubmittedAt = schedule.Now;
        submission.Schedule.PollAttempts = 0;
        logger.LogInformation("Submission {SubmissionId} is in review as task {TaskId}", submission.Id, taskId);
        Apply(submission, task);
    }

    private void SubmitFailed(AvatarSubmission submission, XComputeFailure failure)
    {
        if (failure.CertainlyNotTaken)
        {
            submission.State = SubmissionState.Pending;
            if (schedule.TryRetry(submission, failure))
            {
                // Counted in avatar.xcompute.requests; a 429's pause is logged once by the RequestBudget, not once a call.
                logger.LogDebug("xcompute did not take submission {SubmissionId} ({Failure}); retrying at {NextPollAt}", submission.Id, failure, submission.Schedule.NextPollAt);
                return;
            }

            Reject(submission, AvatarErrorCodes.UpstreamError, $"xcompute did not take the submission before the deadline: {failure}");
        }
        else if (failure.Kind is FailureKind.ServerError or FailureKind.NoResponse)
        {
            Reject(submission, AvatarErrorCodes.SubmitOutcomeUnknown,
                $"xcompute may or may not have started a review ({failure}); it is not resubmitted, to avoid a duplicate review");
        }
        else
        {
            Reject(submission, ErrorCodes.For(failure), $"xcompute refused the submission: {failure}");
        }
    }

    private async Task PollAsync(AvatarSubmission submission, CancellationToken cancellationToken)
    {
        var reply = await xcompute.GetTaskAsync(submission.TaskId!, cancellationToken);
        if (reply.Succeeded)
        {
            Apply(submission, TaskSnapshot.From(reply.Data));
            return;
        }

        var failure = reply.Failure;
        if (failure.IsTransient)
        {
            // Transient failures never end a review before its deadline.
            logger.LogDebug("Polling submission {SubmissionId} failed transiently: {Failure}", submission.Id, failure);
            RetryUntilDeadline(submission, $"the last poll failed: {failure}", failure);
            return;
        }

        var code = failure.Kind == FailureKind.Rejected ? AvatarErrorCodes.UpstreamError : ErrorCodes.For(failure);
        Reject(submission, code, $"polling review task {submission.TaskId} failed: {failure}");
    }

    private void Apply(AvatarSubmission submission, TaskSnapshot task)
    {
        ReviewObservation? previous = submission.ProgressAt is { } at ? new(at, submission.Progress, null) : null;
        var seen = new ReviewObservation(schedule.Now, task.Progress, task.EstimatedTime);
        submission.TaskStatus = task.Status;
        if (task.Progress is { } progress)
        {
            submission.Progress = progress;
            submission.ProgressAt = seen.At;
        }

        switch (task.Status)
        {
            case TaskSnapshot.Completed:
                var approved = ReviewResult.From(task.Result, submission.Assets);
                if (approved.Usable.Count == 0)
                {
                    Reject(submission, AvatarErrorCodes.UpstreamError, "xcompute completed the review but listed no usable assets", approved);
                    break;
                }

                submission.State = SubmissionState.Approved;
                submission.UsableAssets = [.. approved.Usable];
                Finish(submission);
                logger.LogInformation("Submission {SubmissionId} approved with {Count} asset(s)", submission.Id, approved.Usable.Count);
                break;
            case TaskSnapshot.Failed:
                var result = ReviewResult.From(task.Result, submission.Assets);
                var detail = task.ErrorMessage ?? task.ErrorCode ?? "no reason given";
                Reject(submission, AvatarErrorCodes.TaskFailed,
                    $"{result.Failed.Count} of {submission.Assets.Count} asset(s) failed review ({detail}); {result.Usable.Count} remain usable", result);
                break;
            case TaskSnapshot.Cancelled:
                Reject(submission, AvatarErrorCodes.TaskCancelled, "the review task was cancelled at xcompute", ReviewResult.From(task.Result, submission.Assets));
                break;
            default:
                // pending, processing and statuses nobody documented: keep polling.
                logger.LogDebug("Submission {SubmissionId} is {Status} at {Progress}%", submission.Id, task.Status, task.Progress);
                if (!schedule.TryPollReview(submission, submission.SubmittedAt ?? submission.CreatedAt, seen, previous))
                {
                    Reject(submission, AvatarErrorCodes.ReviewTimeout,
                        $"the review did not finish within {options.Value.ReviewTimeout}; it was still {task.Status} at {task.Progress ?? 0}%");
                }

                break;
        }
    }

    private void RetryUntilDeadline(AvatarSubmission submission, string detail, XComputeFailure failure)
    {
        if (!schedule.TryRetry(submission, failure))
        {
            Reject(submission, AvatarErrorCodes.ReviewTimeout, $"the review did not finish within {options.Value.ReviewTimeout}; {detail}");
        }
    }

    private void Reject(AvatarSubmission submission, string errorCode, string reason, ReviewResult? result = null)
    {
        submission.State = SubmissionState.Rejected;
        submission.ErrorCode = errorCode;
        submission.ErrorReason = reason;
        submission.UsableAssets = [.. result?.Usable ?? []];
        submission.FailedAssets = [.. result?.Failed ?? []];
        Finish(submission);
        logger.LogInformation("Submission {SubmissionId} rejected with {ErrorCode}: {Reason}", submission.Id, errorCode, reason);
    }

    private void Finish(AvatarSubmission submission)
    {
        submission.CompletedAt = schedule.Now;
        schedule.Finish(submission);
        metrics.ReviewEnded(submission.CompletedAt.Value - submission.CreatedAt);
    }
}
