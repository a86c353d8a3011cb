using System.ComponentModel.DataAnnotations;

namespace Avatar.Worker.Callback;

/// <summary>
/// The worker's own H5 callback receiver (section <c>Avatar:Callback</c>), off unless <see cref="PublicBaseUrl"/> is set.
/// </summary>
public sealed class CallbackOptions
{
    public const string Section = "Avatar:Callback";

    /// <summary>
    /// Where browsers reach this worker (through the reverse proxy), for example <c>https://avatar.example.com</c>.
    /// Set: step 1 registers <c>{PublicBaseUrl}/avatar/callback/{sessionId}?exp=…&amp;sig=…</c> as xcompute's callback.
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>
    /// The HMAC keys that sign callback links, one base64 key of 32 random bytes per line (a <see cref="Security.KeyRing"/>:
    /// the first signs, every line verifies): from <see cref="SigningKeyFile"/>, or else from the environment.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>A file holding <see cref="SigningKey"/> (a Docker or Kubernetes secret); wins over the plain setting.</summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>
    /// The public port, which serves the callback path and nothing else (health and metrics stay on the management
    /// port, <c>ASPNETCORE_URLS</c>). Point the reverse proxy here.
    /// </summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 8081;

    /// <summary>The address the public port listens on (<c>*</c>: every interface).</summary>
    public string ListenAddress { get; set; } = "*";

    /// <summary>
    /// The reverse proxies whose <c>X-Forwarded-Proto</c> and <c>X-Forwarded-For</c> count, as addresses or networks
    /// (<c>10.0.0.5</c>, <c>10.0.0.0/24</c>); loopback always counts. Anyone else's are ignored.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];
}
