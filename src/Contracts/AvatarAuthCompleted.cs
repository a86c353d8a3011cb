namespace Avatar.Contracts;

/// <summary>
/// Command: the person finished the H5 page (the caller saw the redirect to its callback URL). Ends in exactly one
/// <see cref="AvatarAuthVerified"/> or <see cref="AvatarAuthFailed"/>; a repeat is harmless.
/// </summary>
/// <param name="SessionId">The id of the <see cref="CreateAvatarSession"/> whose person finished.</param>
public record AvatarAuthCompleted(Guid SessionId);
