namespace Avatar.Contracts;

/// <summary>Event: the person is verified; submit assets to <paramref name="GroupId"/>.</summary>
public record AvatarAuthVerified(Guid SessionId, string GroupId);
