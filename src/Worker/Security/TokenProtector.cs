using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Security;

/// <summary>
/// Seals a session's byted token for storage with AES-256-GCM, under a key that lives outside the database, bound to
/// the session's id (a sealed token copied onto another row does not open). Stored form:
/// <c>v1:&lt;key id&gt;:&lt;base64 of nonce, ciphertext and tag&gt;</c>.
/// </summary>
/// <remarks>
/// Keys come from <see cref="TokenEncryptionOptions"/> as a <see cref="KeyRing"/>: the first line seals, every line
/// opens. Drop an old line once the longest session (lifetime plus grace) has passed.
/// </remarks>
public sealed class TokenProtector
{
    private const string Version = "v1";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly IReadOnlyList<(string Id, byte[] Key)> keys;

    public TokenProtector(IOptions<TokenEncryptionOptions> options)
        : this(options.Value.Keys)
    {
    }

    public TokenProtector(string? keyLines) =>
        keys = TryParse(keyLines, out var parsed, out var problem) ? parsed : throw new InvalidOperationException(problem);

    /// <summary>The id of the key that seals new tokens.</summary>
    public string CurrentKeyId => keys[0].Id;

    /// <summary>The stored form of <paramref name="token"/> for session <paramref name="sessionId"/>.</summary>
    public string Protect(Guid sessionId, string token)
    {
        var (id, key) = keys[0];
        var plaintext = Encoding.UTF8.GetBytes(token);
        var sealedBytes = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length), AssociatedData(sessionId));
        return $"{Version}:{id}:{Convert.ToBase64String(sealedBytes)}";
    }

    /// <summary>
    /// Opens a stored token of session <paramref name="sessionId"/>. False, with a reason that never quotes the value,
    /// when no configured key opens it, and for a value without the <c>v1:</c> prefix (stored in clear before tokens
    /// were sealed: no longer accepted).
    /// </summary>
    public bool TryUnprotect(Guid sessionId, string stored, out string token, out string problem)
    {
        token = "";
        problem = "";
        var parts = stored.Split(':');
        if (parts.Length != 3 || parts[0] != Version || keys.FirstOrDefault(k => k.Id == parts[1]).Key is not { } key)
        {
            problem = parts.Length == 3 && parts[0] == Version
                ? $"the byted token was sealed with key {parts[1]}, which is not among the configured token keys ({string.Join(", ", keys.Select(k => k.Id))})"
                : "the stored byted token is not sealed (stored in clear by an old version, or altered)";
            return false;
        }

        try
        {
            var sealedBytes = Convert.FromBase64String(parts[2]);
            var length = sealedBytes.Length - NonceSize - TagSize;
            var plaintext = new byte[Math.Max(length, 0)];
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, length), sealedBytes.AsSpan(NonceSize + length), plaintext, AssociatedData(sessionId));
            token = Encoding.UTF8.GetString(plaintext);
            return true;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or CryptographicException)
        {
            problem = $"the stored byted token does not open with key {parts[1]} for this session (altered, or copied from another row)";
            return false;
        }
    }

    /// <summary>Reads key lines (<see cref="KeyRing"/>); the reason names a line by number, never its content.</summary>
    public static bool TryParse(string? keyLines, out IReadOnlyList<(string Id, byte[] Key)> keys, out string problem)
    {
        if (KeyRing.TryParse(keyLines, "Avatar:TokenEncryption:Keys", out keys, out problem))
        {
            return true;
        }

        if (keys.Count == 0 && !problem.Contains("line", StringComparison.Ordinal))
        {
            problem = "Avatar:TokenEncryption:Keys is not set; byted tokens are stored encrypted. Create a key with `openssl rand -base64 32 > token-keys` and set Avatar__TokenEncryption__KeysFile to its path";
        }

        return false;
    }

    private static byte[] AssociatedData(Guid sessionId) => Encoding.ASCII.GetBytes($"avatar-session:{sessionId:N}");
}

/// <summary>Where the keys that seal byted tokens come from (section <c>Avatar:TokenEncryption</c>).</summary>
public sealed class TokenEncryptionOptions
{
    public const string Section = "Avatar:TokenEncryption";

    /// <summary>Key lines (see <see cref="TokenProtector"/>): from <see cref="KeysFile"/>, or else from the environment.</summary>
    public string? Keys { get; set; }

    /// <summary>A file of key lines (a Docker or Kubernetes secret); wins over <see cref="Keys"/>.</summary>
    public string? KeysFile { get; set; }

    internal sealed class Validator : IValidateOptions<TokenEncryptionOptions>
    {
        public ValidateOptionsResult Validate(string? name, TokenEncryptionOptions options) =>
            TokenProtector.TryParse(options.Keys, out _, out var problem) ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problem);
    }
}
