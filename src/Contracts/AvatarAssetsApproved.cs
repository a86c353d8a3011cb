namespace Avatar.Contracts;

/// <summary>Event: every asset passed review; each <see cref="ReviewedAvatarAsset.AssetUrl"/> is an <c>asset://</c> URL.</summary>
public record AvatarAssetsApproved(Guid SubmissionId, string GroupId, IReadOnlyList<ReviewedAvatarAsset> Assets);
