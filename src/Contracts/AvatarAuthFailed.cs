namespace Avatar.Contracts;

/// <summary>Event: verification did not succeed. <paramref name="ErrorCode"/> is one of <see cref="AvatarErrorCodes"/>.</summary>
public record AvatarAuthFailed(Guid SessionId, string ErrorCode, string Reason);
