namespace Avatar.Contracts;

/// <summary>Event: verification did not succeed; the session is over (create a new one to try again).</summary>
/// <param name="SessionId">The session this ends.</param>
/// <param name="ErrorCode">One of <see cref="AvatarErrorCodes"/>.</param>
/// <param name="Reason">What went wrong, for people; never parse it.</param>
public record AvatarAuthFailed(Guid SessionId, string ErrorCode, string Reason);
