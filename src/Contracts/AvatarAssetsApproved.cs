namespace Avatar.Contracts;

/// <summary>Event: every asset passed review; each <see cref="ReviewedAvatarAsset.AssetUrl"/> is an <c>asset://</c> URL.</summary>
/// <param name="SubmissionId">The id of the <see cref="SubmitAvatarAssets"/> this ends.</param>
/// <param name="GroupId">The group the assets now belong to.</param>
/// <param name="Assets">Every submitted asset, approved.</param>
public record AvatarAssetsApproved(Guid SubmissionId, string GroupId, IReadOnlyList<ReviewedAvatarAsset> Assets);
