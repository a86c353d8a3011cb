namespace Avatar.Contracts;

/// <summary>Event: the person is verified; submit assets to <paramref name="GroupId"/>.</summary>
/// <param name="SessionId">The session this ends.</param>
/// <param name="GroupId">The person's asset group at xcompute, for <see cref="SubmitAvatarAssets"/>; it stays valid after the session.</param>
public record AvatarAuthVerified(Guid SessionId, string GroupId);
