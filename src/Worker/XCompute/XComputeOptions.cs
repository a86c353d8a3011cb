using System.ComponentModel.DataAnnotations;

namespace Avatar.Worker.XCompute;

public sealed class XComputeOptions
{
    public const string Section = "XCompute";

    /// <summary>xcompute's base address; https unless <see cref="AllowInsecureHttp"/>. Point it at the simulator for local runs.</summary>
    [Required]
    public Uri BaseUrl { get; set; } = new("https://xcompute.us");

    /// <summary>
    /// Development switch: allows a plain-http <see cref="BaseUrl"/> (the simulator, the tests). Over http the API key
    /// and byted tokens cross the network in clear, so production leaves it off and the worker refuses to start.
    /// </summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>
    /// The Bearer API key: from <see cref="ApiKeyFile"/>, or else from the environment (<c>XCompute__ApiKey</c>) or a
    /// secret store, never from a file in the repository.
    /// </summary>
    [Required(ErrorMessage = "XCompute:ApiKey is not set; set XCompute__ApiKeyFile (a secret file) or the XCompute__ApiKey environment variable.")]
    public string ApiKey { get; set; } = "";

    /// <summary>A file holding the API key (a Docker or Kubernetes secret); wins over <see cref="ApiKey"/>.</summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>How long one xcompute call may take. Keep it well below the poll lease.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// At most this many calls to xcompute per second from this instance (0: no limit); calls beyond it wait their turn.
    /// Across a fleet the limit is this times the number of instances.
    /// </summary>
    [Range(0, 10_000)]
    public int MaxRequestsPerSecond { get; set; } = 50;

    /// <summary>
    /// The longest this instance pauses all its calls after a 429, whatever its <c>Retry-After</c> says (the row that got
    /// the 429 still waits the full time, in the schedule).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxPause { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a task that a successful POST returned is taken as too young to be gone: a 404 on it until then is
    /// retried with the normal backoff. xcompute is a distributed gateway whose reads may lag its writes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:30:00")]
    public TimeSpan NewTaskGrace { get; set; } = TimeSpan.FromSeconds(60);
}
