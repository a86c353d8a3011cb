namespace Avatar.Persistence;

public sealed class AvatarSession : IScheduled
{
    public Guid Id { get; init; }

    public required string CallbackUrl { get; init; }

    public required string ProjectName { get; init; }

    public SessionState State { get; set; }

    /// <summary>The step-1 task that carries the H5 link and byted token.</summary>
    public string? CreateTaskId { get; set; }

    public string? H5Link { get; set; }

    /// <summary>
    /// Secret: authorises the verification query. Stored sealed (the worker's <c>TokenProtector</c>: AES-GCM under a key
    /// kept outside the database); cleared once verification ends.
    /// </summary>
    public string? BytedToken { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>When the person's browser followed the worker's own callback link (one use); null without the receiver.</summary>
    public DateTimeOffset? CallbackAt { get; set; }

    /// <summary>Set when step 2 answered with a task to poll rather than the group itself.</summary>
    public string? VerificationTaskId { get; set; }

    public string? GroupId { get; set; }

    public string? ErrorCode { get; set; }

    public string? ErrorReason { get; set; }

    /// <summary>
    /// A digest of the command that created the row, so a later command with the same id but other content is told
    /// apart from a redelivery (null for rows stored before it was kept).
    /// </summary>
    public string? CommandFingerprint { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    public PollSchedule Schedule { get; init; } = new();
}
