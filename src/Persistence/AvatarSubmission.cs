using Avatar.Contracts;

namespace Avatar.Persistence;

public sealed class AvatarSubmission : IScheduled
{
    public Guid Id { get; init; }

    public required string GroupId { get; init; }

    public required string ProjectName { get; init; }

    public AvatarAssetType AssetType { get; init; }

    public List<SubmittedAsset> Assets { get; init; } = [];

    public SubmissionState State { get; set; }

    public string? TaskId { get; set; }

    public string? TaskStatus { get; set; }

    public int? Progress { get; set; }

    /// <summary>When <see cref="Progress"/> was read (the database's clock), so the next poll sees how fast it moves.</summary>
    public DateTimeOffset? ProgressAt { get; set; }

    public List<ReviewedAsset> UsableAssets { get; set; } = [];

    public List<ReviewedAsset> FailedAssets { get; set; } = [];

    public string? ErrorCode { get; set; }

    public string? ErrorReason { get; set; }

    /// <summary>
    /// A digest of the command that created the row, so a later command with the same id but other content is told
    /// apart from a redelivery (null for rows stored before it was kept).
    /// </summary>
    public string? CommandFingerprint { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? SubmittedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public PollSchedule Schedule { get; init; } = new();
}

public sealed class SubmittedAsset
{
    public required string Url { get; init; }

    public required string Name { get; init; }
}

public sealed class ReviewedAsset
{
    public required string AssetId { get; init; }

    public required string AssetUrl { get; init; }

    public string? Name { get; init; }

    public required string Status { get; init; }
}
