using System.Security.Cryptography;

namespace Avatar.Worker.Security;

/// <summary>
/// Keys given as lines (or commas) of base64, 32 random bytes each: the first one seals or signs, every line opens or
/// verifies, so a key is rotated by adding the new one below, moving it to the top on every instance, then dropping
/// the old one. A key's id is derived from the key itself (the first 4 bytes of its SHA-256, in hex), so ops cannot
/// name two keys alike, and the id tells nothing about the key. Lines starting with <c>#</c> are comments.
/// </summary>
public static class KeyRing
{
    public const int KeySize = 32;

    /// <summary>Reads key lines of <paramref name="setting"/>; the reason names a line by number, never its content.</summary>
    public static bool TryParse(string? keyLines, string setting, out IReadOnlyList<(string Id, byte[] Key)> keys, out string problem)
    {
        var parsed = new List<(string, byte[])>();
        keys = parsed;
        problem = "";
        var lines = (keyLines ?? "").Split(['\n', ','], StringSplitOptions.TrimEntries);
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0 || lines[i].StartsWith('#'))
            {
                continue;
            }

            var key = new byte[KeySize];
            if (!Convert.TryFromBase64String(lines[i], key, out var written) || written != KeySize)
            {
                problem = $"{setting}: the key on line {i + 1} is not {KeySize} bytes in base64 (make one with: openssl rand -base64 {KeySize})";
                return false;
            }

            parsed.Add((Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 4)), key));
        }

        if (parsed.Count == 0)
        {
            problem = $"{setting} is not set";
            return false;
        }

        return true;
    }
}
