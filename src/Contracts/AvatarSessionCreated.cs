namespace Avatar.Contracts;

/// <summary>Event: the H5 link to hand to the person; it stops working at <paramref name="ExpiresAt"/>.</summary>
/// <param name="SessionId">The id of the <see cref="CreateAvatarSession"/>.</param>
/// <param name="H5Link">The page where the person verifies themselves.</param>
/// <param name="ExpiresAt">When the link and the session expire.</param>
public record AvatarSessionCreated(Guid SessionId, string H5Link, DateTimeOffset ExpiresAt);
