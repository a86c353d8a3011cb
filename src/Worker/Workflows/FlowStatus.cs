using Avatar.Contracts;
using Avatar.Persistence;
using Avatar.Worker.Scheduling;

namespace Avatar.Worker.Workflows;

/// <summary>
/// What <see cref="GetAvatarStatus"/> answers, built from a stored row alone: its state, its schedule, and the outcome
/// event the row gives (the same one the lifecycle published).
/// </summary>
public static class FlowStatus
{
    public static AvatarStatus Of(AvatarSession row) => WithOutcome(
        new AvatarStatus(
            row.Id,
            AvatarFlowKinds.Session,
            row.State.ToString(),
            row.IsEnded,
            Progress: null,
            row.IsEnded ? null : row.Schedule.NextPollAt,
            ExpectedEndAt: null,
            row.IsEnded ? null : row.Schedule.Deadline,
            row.ErrorCode,
            row.ErrorReason,
            row.UpdatedAt),
        row.Outcome);

    public static AvatarStatus Of(AvatarSubmission row) => WithOutcome(
        new AvatarStatus(
            row.Id,
            AvatarFlowKinds.Submission,
            row.State.ToString(),
            row.IsEnded,
            row.Progress,
            row.IsEnded ? null : row.Schedule.NextPollAt,
            row.IsEnded ? null : ExpectedEnd(row),
            row.IsEnded ? null : row.Schedule.Deadline,
            row.ErrorCode,
            row.ErrorReason,
            row.UpdatedAt),
        row.Outcome);

    // From what the row keeps of the last poll: the estimate while the review has not outlived it, else the progress.
    private static DateTimeOffset? ExpectedEnd(AvatarSubmission row) =>
        row is { SubmittedAt: { } submittedAt, ProgressAt: { } progressAt }
            ? ReviewForecast.ExpectedEnd(submittedAt, new ReviewObservation(progressAt, row.Progress, row.EstimatedTime))
            : null;

    private static AvatarStatus WithOutcome(AvatarStatus status, object? outcome) => outcome switch
    {
        AvatarSessionCreated e => status with { SessionCreated = e },
        AvatarSessionFailed e => status with { SessionFailed = e },
        AvatarAuthVerified e => status with { AuthVerified = e },
        AvatarAuthFailed e => status with { AuthFailed = e },
        AvatarAssetsApproved e => status with { AssetsApproved = e },
        AvatarAssetsRejected e => status with { AssetsRejected = e },
        _ => status,
    };
}
