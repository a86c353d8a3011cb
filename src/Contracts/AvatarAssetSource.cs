namespace Avatar.Contracts;

/// <summary>One photo or video to review, as <see cref="SubmitAvatarAssets"/> lists it.</summary>
/// <param name="Url">A publicly reachable absolute http(s) URL of the file, at most 2,048 characters.</param>
/// <param name="Name">The caller's name for the asset (1 to 255 characters, no control characters); the review's results carry it back.</param>
public record AvatarAssetSource(string Url, string Name);
