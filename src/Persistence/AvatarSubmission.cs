using Avatar.Contracts;

namespace Avatar.Persistence;

/// <summary>
/// One review of a verified person's photos or videos: its row, and its lifecycle, which is written here and nowhere
/// else. Each transition checks the state it leaves and returns the event it justifies, if any; whoever calls it saves
/// the row and publishes that event. Its one outcome is <see cref="AvatarAssetsApproved"/> or
/// <see cref="AvatarAssetsRejected"/>.
/// </summary>
/// <remarks>
/// <code>
///             ┌──────────NotTaken──────────┐
///             ▼                            │
///          Pending ──SubmitAgain──▶ Submitting ──Submitted──▶ InReview ──Approve──▶ Approved
///             │                            │                      │
///             └───────────────Reject───────┴──────────────────────┴───────▶ Rejected
/// </code>
/// A new submission starts as <see cref="SubmissionState.Submitting"/>: its insert records the submit about to be sent.
/// The state and what a transition writes have internal setters: only this type (and the tests seeding rows) set them.
/// </remarks>
public sealed class AvatarSubmission : IScheduled
{
    public Guid Id { get; init; }

    public required string GroupId { get; init; }

    public required string ProjectName { get; init; }

    /// <inheritdoc/>
    public string? Owner { get; init; }

    public AvatarAssetType AssetType { get; init; }

    public List<SubmittedAsset> Assets { get; init; } = [];

    public SubmissionState State { get; internal set; }

    public string? TaskId { get; internal set; }

    public string? TaskStatus { get; set; }

    public int? Progress { get; set; }

    /// <summary>When <see cref="Progress"/> was read (the database's clock), so the next poll sees how fast it moves.</summary>
    public DateTimeOffset? ProgressAt { get; set; }

    /// <summary>
    /// xcompute's last <c>estimated_time</c> for the review, so the poll that sees it end learns how far off it was
    /// (the answer of an ended task may not repeat it), and a status answer can tell when it should end.
    /// </summary>
    public TimeSpan? EstimatedTime { get; set; }

    public List<ReviewedAsset> UsableAssets { get; internal set; } = [];

    public List<ReviewedAsset> FailedAssets { get; internal set; } = [];

    public string? ErrorCode { get; internal set; }

    public string? ErrorReason { get; internal set; }

    /// <summary>
    /// A digest of the command that created the row, so a later command with the same id but other content is told
    /// apart from a redelivery (null for rows stored before it was kept).
    /// </summary>
    public string? CommandFingerprint { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? SubmittedAt { get; internal set; }

    public DateTimeOffset? CompletedAt { get; internal set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <inheritdoc/>
    public int Version { get; internal set; }

    public PollSchedule Schedule { get; init; } = new();

    public bool IsEnded => State is SubmissionState.Approved or SubmissionState.Rejected;

    /// <summary>
    /// The outcome the stored state justifies, built from the row alone, so a duplicate command or a redelivered
    /// message publishes the same event again without calling xcompute; none while the review is under way.
    /// </summary>
    public object? Outcome => State switch
    {
        SubmissionState.Approved => new AvatarAssetsApproved(Id, GroupId, Map(UsableAssets)),
        SubmissionState.Rejected => new AvatarAssetsRejected(Id, GroupId, Map(UsableAssets), Map(FailedAssets), ErrorCode!, ErrorReason!),
        _ => null,
    };

    /// <summary>A new submission whose submit (step 3) is about to be sent: the insert records it.</summary>
    public static AvatarSubmission Open(
        Guid id, string? owner, string groupId, string projectName, AvatarAssetType assetType, List<SubmittedAsset> assets, string fingerprint, DateTimeOffset now) => new()
    {
        Id = id,
        Owner = owner,
        GroupId = groupId,
        ProjectName = projectName,
        AssetType = assetType,
        Assets = assets,
        State = SubmissionState.Submitting,
        CommandFingerprint = fingerprint,
        CreatedAt = now,
    };

    /// <summary>A submit that certainly did not reach xcompute is about to be sent again: stored before it is.</summary>
    public void SubmitAgain()
    {
        Require(nameof(SubmitAgain), SubmissionState.Pending);
        State = SubmissionState.Submitting;
    }

    /// <summary>xcompute certainly did not take the submit (it refused the connection, or answered 429): it may be sent again.</summary>
    public void NotTaken()
    {
        Require(nameof(NotTaken), SubmissionState.Submitting);
        State = SubmissionState.Pending;
    }

    /// <summary>xcompute took the submit and is reviewing it as <paramref name="taskId"/>.</summary>
    public void Submitted(string taskId, DateTimeOffset now)
    {
        Require(nameof(Submitted), SubmissionState.Submitting);
        State = SubmissionState.InReview;
        TaskId = taskId;
        SubmittedAt = now;
    }

    public AvatarAssetsApproved Approve(IReadOnlyCollection<ReviewedAsset> usable, DateTimeOffset now)
    {
        Require(nameof(Approve), SubmissionState.InReview);
        State = SubmissionState.Approved;
        UsableAssets = [.. usable];
        CompletedAt = now;
        return (AvatarAssetsApproved)Outcome!;
    }

    public AvatarAssetsRejected Reject(
        string errorCode, string reason, IReadOnlyCollection<ReviewedAsset>? usable, IReadOnlyCollection<ReviewedAsset>? failed, DateTimeOffset now)
    {
        Require(nameof(Reject), SubmissionState.Pending, SubmissionState.Submitting, SubmissionState.InReview);
        State = SubmissionState.Rejected;
        ErrorCode = FlowColumns.Fit(errorCode, FlowColumns.ErrorCode);
        ErrorReason = FlowColumns.Fit(reason, FlowColumns.ErrorReason);
        UsableAssets = [.. usable ?? []];
        FailedAssets = [.. failed ?? []];
        CompletedAt = now;
        return (AvatarAssetsRejected)Outcome!;
    }

    /// <summary>An operator ends a review that is still open (<c>avatar-admin abandon</c>).</summary>
    public AvatarAssetsRejected Abandon(string reason, DateTimeOffset now) => Reject(AvatarErrorCodes.Abandoned, reason, null, null, now);

    private void Require(string transition, params SubmissionState[] from)
    {
        if (!from.Contains(State))
        {
            throw new InvalidTransitionException($"submission {Id} cannot {transition} while {State}");
        }
    }

    private static List<ReviewedAvatarAsset> Map(List<ReviewedAsset> assets) =>
        assets.ConvertAll(a => new ReviewedAvatarAsset(a.AssetId, a.AssetUrl, a.Name, a.Status));
}

public sealed class SubmittedAsset
{
    public required string Url { get; init; }

    public required string Name { get; init; }
}

public sealed class ReviewedAsset
{
    public required string AssetId { get; init; }

    public required string AssetUrl { get; init; }

    public string? Name { get; init; }

    public required string Status { get; init; }
}
