namespace Avatar.Contracts;

/// <summary>
/// Event: the review ended without approving everything. <paramref name="UsableAssets"/> still holds the
/// assets that passed (a partial rejection); <paramref name="ErrorCode"/> is one of <see cref="AvatarErrorCodes"/>.
/// </summary>
public record AvatarAssetsRejected(
    Guid SubmissionId,
    string GroupId,
    IReadOnlyList<ReviewedAvatarAsset> UsableAssets,
    IReadOnlyList<ReviewedAvatarAsset> FailedAssets,
    string ErrorCode,
    string Reason);
