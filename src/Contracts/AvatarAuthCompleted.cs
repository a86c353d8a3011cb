namespace Avatar.Contracts;

/// <summary>Command: the person finished the H5 page (the caller saw the redirect to its callback URL).</summary>
public record AvatarAuthCompleted(Guid SessionId);
