using System.Text.Json.Serialization;

namespace Avatar.Contracts;

/// <summary>
/// Command: submit photos or videos of a verified person for review. Ends in exactly one
/// <see cref="AvatarAssetsApproved"/> or <see cref="AvatarAssetsRejected"/>.
/// </summary>
/// <param name="SubmissionId">Caller-chosen id; the idempotency key of the review.</param>
/// <param name="GroupId">The asset group from <see cref="AvatarAuthVerified"/>.</param>
/// <param name="Assets">1 to 20 publicly reachable http(s) URLs with names.</param>
/// <param name="AssetType">Whether the assets are videos (the default) or photos; read by name (any case) or number, written by name.</param>
/// <param name="ProjectName">xcompute project; the worker's default when null.</param>
public record SubmitAvatarAssets(
    Guid SubmissionId,
    string GroupId,
    IReadOnlyList<AvatarAssetSource> Assets,
    [property: JsonConverter(typeof(AvatarAssetTypeJsonConverter))] AvatarAssetType AssetType = AvatarAssetType.Video,
    string? ProjectName = null);
