namespace Avatar.Contracts;

/// <summary>One asset as xcompute's review left it.</summary>
/// <param name="AssetId">xcompute's id of the asset.</param>
/// <param name="AssetUrl">An <c>asset://</c> URL that Seedance 2.0 video generation accepts, for usable assets; may be empty for failed ones.</param>
/// <param name="Name">The submitted name, when it could be matched.</param>
/// <param name="Status">xcompute's asset status, for example <c>Active</c> or <c>Failed</c>.</param>
public record ReviewedAvatarAsset(string AssetId, string AssetUrl, string? Name, string Status);
