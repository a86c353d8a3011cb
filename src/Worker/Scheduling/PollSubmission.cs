namespace Avatar.Worker.Scheduling;

/// <summary>Internal command: take the next step of a submission under the claim <paramref name="LeaseToken"/>.</summary>
public record PollSubmission(Guid SubmissionId, Guid LeaseToken);
