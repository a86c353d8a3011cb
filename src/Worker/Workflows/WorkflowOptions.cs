using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

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

    /// <summary>
    /// Development switch: accept plain-http callback URLs on any host (without it, http only for loopback). The
    /// person's browser carries the byted token to that URL.
    /// </summary>
    public bool AllowInsecureCallbackUrls { get; set; }

    /// <summary>
    /// Development switch: accept asset URLs over plain http, or naming an IP address or a local host name (without it,
    /// https URLs of public host names only: xcompute fetches them).
    /// </summary>
    public bool AllowInsecureAssetUrls { get; set; }

    /// <summary>
    /// Accept <c>SubmitAvatarAssets</c> for groups this worker never verified (groups verified by another system on the
    /// same xcompute account). Off: a submission is taken only for a group a session of this worker verified.
    /// </summary>
    public bool AcceptUnknownGroups { get; set; }

    [ValidateObjectMembers]
    public CallerOptions Callers { get; set; } = new();

    [ValidateObjectMembers]
    public Scheduling.PollingOptions Polling { get; set; } = new();

    [ValidateObjectMembers]
    public Scheduling.RetentionOptions Retention { get; set; } = new();
}
