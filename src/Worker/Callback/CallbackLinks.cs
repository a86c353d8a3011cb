using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Callback;

/// <summary>
/// Signed callback links: <c>{PublicBaseUrl}/avatar/callback/{sessionId}?exp={unix seconds}&amp;sig={HMAC-SHA256}</c>,
/// the HMAC over the session id and the expiry, so a link names one session until one moment and cannot be altered.
/// </summary>
public sealed class CallbackLinks(IOptions<CallbackOptions> options, TimeProvider clock)
{
    public const string Path = "/avatar/callback";

    /// <summary>The receiver is on: step 1 registers the worker's own URL.</summary>
    public bool Enabled => options.Value.PublicBaseUrl is not null;

    /// <summary>The link registered with xcompute for <paramref name="sessionId"/>, accepted until <paramref name="expires"/>.</summary>
    public string For(Guid sessionId, DateTimeOffset expires)
    {
        var exp = expires.ToUnixTimeSeconds();
        var url = $"{options.Value.PublicBaseUrl!.ToString().TrimEnd('/')}{Path}/{sessionId:N}";
        return QueryHelpers.AddQueryString(url, new Dictionary<string, string?>
        {
            ["exp"] = exp.ToString(CultureInfo.InvariantCulture),
            ["sig"] = Sign(sessionId, exp),
        });
    }

    /// <summary>Why a link may not be followed, or null when it may: its signature first, then its expiry.</summary>
    public string? Problem(Guid sessionId, string? exp, string? sig)
    {
        if (!long.TryParse(exp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || sig is null
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(sessionId, seconds)), Encoding.ASCII.GetBytes(sig)))
        {
            return "the link's signature does not match";
        }

        return clock.GetUtcNow().ToUnixTimeSeconds() > seconds ? "the link expired" : null;
    }

    private string Sign(Guid sessionId, long exp) => WebEncoders.Base64UrlEncode(
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(options.Value.SigningKey!), Encoding.ASCII.GetBytes($"{sessionId:N}.{exp}")));
}
