namespace Avatar.Contracts;

/// <summary>Event: the H5 link to hand to the person; it stops working at <paramref name="ExpiresAt"/>.</summary>
public record AvatarSessionCreated(Guid SessionId, string H5Link, DateTimeOffset ExpiresAt);
