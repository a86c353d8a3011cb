using System.Security.Cryptography;

namespace Avatar.Simulator;

public enum PersonState
{
    Pending,
    Verified,
    Failed,
}

public sealed class SimSession
{
    public required string TaskId { get; init; }
    public required string H5Key { get; init; }
    public required string BytedToken { get; init; }
    public required string CallbackUrl { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public PersonState State { get; set; }
    public string? GroupId { get; set; }
    public bool TokenUsed { get; set; }
}

public enum AssetOutcome
{
    Active,
    Failed,
    Stuck,
}

public sealed record SimAsset(string AssetId, string Url, string Name, AssetOutcome Outcome);

public abstract class SimTask
{
    public required string Id { get; init; }
    public required DateTimeOffset Created { get; init; }
    public bool Cancelled { get; set; }
}

/// <summary>Step 1's task: born completed, carries the H5 link and byted token.</summary>
public sealed class SessionTask : SimTask
{
    public required SimSession Session { get; init; }
}

/// <summary>A task-shaped step 2: completes with the group once the person passed.</summary>
public sealed class VerificationTask : SimTask
{
    public required SimSession Session { get; init; }
}

/// <summary>Step 3's review task.</summary>
public sealed class ReviewTask : SimTask
{
    public required string GroupId { get; init; }
    public required IReadOnlyList<SimAsset> Assets { get; init; }
    public required ReviewShape Shape { get; init; }

    public TimeSpan Duration => Shape.Duration;

    /// <summary>When the review really finished (or will), so a benchmark can measure how late its outcome arrived.</summary>
    public DateTimeOffset FinishesAt => Created + Duration;
}

internal static class Ids
{
    public static string Task() => "task_01K" + Random(23);

    public static string Token() => "tok_" + Random(32).ToLowerInvariant();

    public static string Asset() => "asset-" + Random(20).ToLowerInvariant();

    public static string Group(DateTimeOffset now) => $"group-{now:yyyyMMddHHmmss}-{Random(5).ToLowerInvariant()}";

    private static string Random(int length) => RandomNumberGenerator.GetString("0123456789ABCDEFGHJKMNPQRSTVWXYZ", length);
}
