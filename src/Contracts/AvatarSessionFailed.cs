namespace Avatar.Contracts;

/// <summary>Event: no session could be created (or the command was refused); the session is over.</summary>
/// <param name="SessionId">The id of the <see cref="CreateAvatarSession"/> this ends.</param>
/// <param name="ErrorCode">One of <see cref="AvatarErrorCodes"/>.</param>
/// <param name="Reason">What went wrong, for people; never parse it.</param>
public record AvatarSessionFailed(Guid SessionId, string ErrorCode, string Reason);
