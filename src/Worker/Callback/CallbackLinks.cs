using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Avatar.Worker.Security;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Callback;

/// <summary>
/// Signed callback links: <c>{PublicBaseUrl}/avatar/callback/{sessionId}?kid={key id}&amp;exp={unix seconds}&amp;sig={HMAC-SHA256}</c>,
/// the HMAC over the session id and the expiry, so a link names one session until one moment and cannot be altered.
/// The keys are a <see cref="KeyRing"/> (<see cref="CallbackOptions.SigningKey"/>): the first signs, and a link signed
/// with any other line still opens, so links in flight survive a rotation.
/// </summary>
public sealed class CallbackLinks(IOptions<CallbackOptions> options, TimeProvider clock)
{
    public const string Path = "/avatar/callback";

    private readonly IReadOnlyList<(string Id, byte[] Key)> keys =
        KeyRing.TryParse(options.Value.SigningKey, "Avatar:Callback:SigningKey", out var parsed, out _) ? parsed : [];

    /// <summary>The receiver is on: step 1 registers the worker's own URL.</summary>
    public bool Enabled => options.Value.PublicBaseUrl is not null;

    /// <summary>The link registered with xcompute for <paramref name="sessionId"/>, accepted until <paramref name="expires"/>.</summary>
    public string For(Guid sessionId, DateTimeOffset expires)
    {
        var exp = expires.ToUnixTimeSeconds();
        var (id, key) = keys[0];
        var url = $"{options.Value.PublicBaseUrl!.ToString().TrimEnd('/')}{Path}/{sessionId:N}";
        return QueryHelpers.AddQueryString(url, new Dictionary<string, string?>
        {
            ["kid"] = id,
            ["exp"] = exp.ToString(CultureInfo.InvariantCulture),
            ["sig"] = Sign(key, sessionId, exp),
        });
    }

    /// <summary>Why a link may not be followed, or null when it may: its signature first, then its expiry.</summary>
    public string? Problem(Guid sessionId, string? kid, string? exp, string? sig)
    {
        // Links of the version before key ids, signed with the text of the one key, open for the minutes they live
        // across an upgrade. To be removed in the next version.
        var key = kid is null && options.Value.SigningKey is { } text ? Encoding.UTF8.GetBytes(text) : keys.FirstOrDefault(k => k.Id == kid).Key;
        if (key is null || !long.TryParse(exp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || sig is null
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(key, sessionId, seconds)), Encoding.ASCII.GetBytes(sig)))
        {
            return "the link's signature does not match";
        }

        return clock.GetUtcNow().ToUnixTimeSeconds() > seconds ? "the link expired" : null;
    }

    private static string Sign(byte[] key, Guid sessionId, long exp) =>
        WebEncoders.Base64UrlEncode(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes($"{sessionId:N}.{exp}")));
}
