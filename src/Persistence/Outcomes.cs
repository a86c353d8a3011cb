using Avatar.Contracts;

namespace Avatar.Persistence;

/// <summary>
/// The event a row's stored state justifies. Built from the row alone, so a duplicate command or a redelivered
/// message can publish it again without calling xcompute.
/// </summary>
public static class Outcomes
{
    public static object? For(AvatarSession session) => session.State switch
    {
        SessionState.AwaitingVerification => new AvatarSessionCreated(session.Id, session.H5Link!, session.ExpiresAt!.Value),
        SessionState.Verified => new AvatarAuthVerified(session.Id, session.GroupId!),
        SessionState.CreationFailed => new AvatarSessionFailed(session.Id, session.ErrorCode!, session.ErrorReason!),
        SessionState.VerificationFailed => new AvatarAuthFailed(session.Id, session.ErrorCode!, session.ErrorReason!),
        _ => null,
    };

    public static object? For(AvatarSubmission submission) => submission.State switch
    {
        SubmissionState.Approved => new AvatarAssetsApproved(submission.Id, submission.GroupId, Map(submission.UsableAssets)),
        SubmissionState.Rejected => new AvatarAssetsRejected(
            submission.Id,
            submission.GroupId,
            Map(submission.UsableAssets),
            Map(submission.FailedAssets),
            submission.ErrorCode!,
            submission.ErrorReason!),
        _ => null,
    };

    private static List<ReviewedAvatarAsset> Map(List<ReviewedAsset> assets) =>
        assets.ConvertAll(a => new ReviewedAvatarAsset(a.AssetId, a.AssetUrl, a.Name, a.Status));
}
