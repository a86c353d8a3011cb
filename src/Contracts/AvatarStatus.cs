namespace Avatar.Contracts;

/// <summary>
/// Response to <see cref="GetAvatarStatus"/>: where a flow stands, as the worker's database has it. Once the flow has
/// ended, one of the event properties holds its outcome event, exactly as it was published, so a caller that missed
/// the event can go on from here; while a session waits for the person, <see cref="SessionCreated"/> holds the H5 link.
/// </summary>
/// <param name="Id">The session or submission id asked about.</param>
/// <param name="Kind"><see cref="AvatarFlowKinds.Session"/> or <see cref="AvatarFlowKinds.Submission"/>.</param>
/// <param name="State">
/// The flow's state: for a session <c>Creating</c>, <c>AwaitingVerification</c>, <c>Verifying</c>, <c>Querying</c>,
/// <c>Verified</c>, <c>CreationFailed</c> or <c>VerificationFailed</c>; for a submission <c>Pending</c>,
/// <c>Submitting</c>, <c>InReview</c>, <c>Approved</c> or <c>Rejected</c>. New states may appear; treat an unknown one as
/// "under way".
/// </param>
/// <param name="Ended">Whether nothing more will happen to the flow.</param>
/// <param name="Progress">A review's progress (0-100) as xcompute last reported it; null before its first report.</param>
/// <param name="NextCheckAt">When the worker next asks xcompute about the flow (or checks its deadline); null once it has ended.</param>
/// <param name="ExpectedEndAt">When the worker expects the review to end: xcompute's estimate while the review has not outlived it, else from its progress so far; null when it cannot tell.</param>
/// <param name="Deadline">When the worker ends the flow at the latest (for a review, its timeout); null once it has ended.</param>
/// <param name="ErrorCode">One of <see cref="AvatarErrorCodes"/>, once the flow has failed.</param>
/// <param name="Reason">What went wrong, for people; never parse it.</param>
/// <param name="UpdatedAt">When the worker last changed the flow.</param>
public record AvatarStatus(
    Guid Id,
    string Kind,
    string State,
    bool Ended,
    int? Progress,
    DateTimeOffset? NextCheckAt,
    DateTimeOffset? ExpectedEndAt,
    DateTimeOffset? Deadline,
    string? ErrorCode,
    string? Reason,
    DateTimeOffset UpdatedAt)
{
    /// <summary>The session's link for the person, while it waits for them.</summary>
    public AvatarSessionCreated? SessionCreated { get; init; }

    /// <summary>The session's outcome, when no H5 session could be created.</summary>
    public AvatarSessionFailed? SessionFailed { get; init; }

    /// <summary>The session's outcome, when the person was verified.</summary>
    public AvatarAuthVerified? AuthVerified { get; init; }

    /// <summary>The session's outcome, when verification failed.</summary>
    public AvatarAuthFailed? AuthFailed { get; init; }

    /// <summary>The submission's outcome, when every asset passed.</summary>
    public AvatarAssetsApproved? AssetsApproved { get; init; }

    /// <summary>The submission's outcome, when it was rejected in part or whole.</summary>
    public AvatarAssetsRejected? AssetsRejected { get; init; }
}

/// <summary>The kinds of flow an <see cref="AvatarStatus"/> describes.</summary>
public static class AvatarFlowKinds
{
    /// <summary>A person's verification, opened by <see cref="CreateAvatarSession"/>.</summary>
    public const string Session = "session";

    /// <summary>A review of assets, opened by <see cref="SubmitAvatarAssets"/>.</summary>
    public const string Submission = "submission";
}

/// <summary>
/// Response to <see cref="GetAvatarStatus"/>: the worker knows no flow <paramref name="Id"/> of yours. It says the same
/// for an id nobody used and for another caller's flow, and a finished flow is forgotten after the worker's retention.
/// </summary>
/// <param name="Id">The id asked about.</param>
public record AvatarStatusNotFound(Guid Id);
