namespace Avatar.Contracts;

/// <summary>Event: no session could be created. <paramref name="ErrorCode"/> is one of <see cref="AvatarErrorCodes"/>.</summary>
public record AvatarSessionFailed(Guid SessionId, string ErrorCode, string Reason);
