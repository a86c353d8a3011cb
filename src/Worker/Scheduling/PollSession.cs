namespace Avatar.Worker.Scheduling;

/// <summary>Internal command: take the next step of a session under the claim <paramref name="LeaseToken"/>.</summary>
public record PollSession(Guid SessionId, Guid LeaseToken);
