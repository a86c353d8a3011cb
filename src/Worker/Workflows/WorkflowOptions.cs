using System.ComponentModel.DataAnnotations;

namespace Avatar.Worker.Workflows;

/// <summary>Timings of the avatar workflows (section <c>Avatar</c>).</summary>
public sealed class WorkflowOptions
{
    public const string Section = "Avatar";

    /// <summary>How long the H5 link and byted token stay valid upstream.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Extra time after expiry for a verification the person finished just in time.</summary>
    public TimeSpan VerificationGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long session creation keeps retrying transient xcompute failures.</summary>
    public TimeSpan CreateTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a submission may take, from the command to the end of its review.</summary>
    public TimeSpan ReviewTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The default xcompute project.</summary>
    [Required]
    public string DefaultProjectName { get; set; } = "default";

    public Scheduling.PollingOptions Polling { get; set; } = new();

    public Scheduling.RetentionOptions Retention { get; set; } = new();
}
