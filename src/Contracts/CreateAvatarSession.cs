namespace Avatar.Contracts;

/// <summary>
/// Command: open an H5 verification session for a real person. Ends in <see cref="AvatarSessionCreated"/> (then, after
/// <see cref="AvatarAuthCompleted"/> or the session's expiry, <see cref="AvatarAuthVerified"/> or
/// <see cref="AvatarAuthFailed"/>) or in <see cref="AvatarSessionFailed"/>.
/// </summary>
/// <param name="SessionId">Caller-chosen id; the idempotency key of the session.</param>
/// <param name="CallbackUrl">Where the person's browser goes once the H5 page is done: https (http only for loopback), no credentials, at most 2,048 characters.</param>
/// <param name="ProjectName">xcompute project; the worker's default when null.</param>
public record CreateAvatarSession(Guid SessionId, string CallbackUrl, string? ProjectName);
