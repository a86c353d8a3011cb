using System.Security.Cryptography;
using System.Text.Json;
using Avatar.Contracts;

namespace Avatar.Worker.Workflows;

/// <summary>
/// A digest of what a command asks for, stored with the row it created. A command that comes again with the same id
/// and the same digest is a redelivery and gets the stored outcome; with another digest it is a different command
/// reusing the id, and is refused rather than answered with someone else's outcome. The fields are named here one by
/// one, so a field added to a contract later does not change the digest of commands stored before it.
/// </summary>
public static class CommandFingerprint
{
    public static string Of(CreateAvatarSession command) => Digest([command.CallbackUrl, command.ProjectName]);

    public static string Of(SubmitAvatarAssets command) => Digest(
    [
        command.GroupId, command.ProjectName, command.AssetType.ToString(),
        .. (command.Assets ?? []).SelectMany(a => new[] { a?.Url, a?.Name }),
    ]);

    /// <summary>True when <paramref name="stored"/> is the digest of <paramref name="fingerprint"/>'s command, or unknown (a row stored before digests were kept).</summary>
    public static bool Matches(string? stored, string fingerprint) => stored is null || stored == fingerprint;

    private static string Digest(string?[] fields) => Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(fields)));
}
