namespace Avatar.Contracts;

/// <summary>
/// Event: the review ended without approving everything, or the submission was refused. <paramref name="UsableAssets"/>
/// still holds the assets that passed (a partial rejection).
/// </summary>
/// <param name="SubmissionId">The id of the <see cref="SubmitAvatarAssets"/> this ends.</param>
/// <param name="GroupId">The submission's group; empty when the command's group id was itself invalid.</param>
/// <param name="UsableAssets">Assets that passed review and can be used anyway.</param>
/// <param name="FailedAssets">Assets that did not pass.</param>
/// <param name="ErrorCode">One of <see cref="AvatarErrorCodes"/>.</param>
/// <param name="Reason">What went wrong, for people; never parse it.</param>
public record AvatarAssetsRejected(
    Guid SubmissionId,
    string GroupId,
    IReadOnlyList<ReviewedAvatarAsset> UsableAssets,
    IReadOnlyList<ReviewedAvatarAsset> FailedAssets,
    string ErrorCode,
    string Reason);
