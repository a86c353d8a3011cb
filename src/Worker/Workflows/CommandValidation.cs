using System.Net;
using System.Text.RegularExpressions;
using Avatar.Contracts;

namespace Avatar.Worker.Workflows;

/// <summary>
/// Checks commands before anything is stored or sent; each answer names the problem and never quotes the offending
/// content (it goes to every subscriber of the failure event).
/// </summary>
public static partial class CommandValidation
{
    public const int MaxAssets = 20;
    public const int MaxUrlLength = 2048;
    public const int MaxNameLength = 255;
    public const int MaxProjectNameLength = 128;
    public const int MaxGroupIdLength = 256;

    /// <summary>What a project name may look like: letters, digits, '.', '_' and '-', starting with a letter or digit.</summary>
    public const string ProjectNamePattern = "^[A-Za-z0-9][A-Za-z0-9._-]*$";

    /// <param name="command">The command.</param>
    /// <param name="allowInsecureCallbacks">
    /// Development switch (<c>Avatar:AllowInsecureCallbackUrls</c>): plain-http callback URLs on any host. Without it,
    /// http is accepted only for loopback addresses, since the person's browser carries the byted token to that URL.
    /// </param>
    public static string? Validate(CreateAvatarSession command, bool allowInsecureCallbacks = false)
    {
        if (command.SessionId == Guid.Empty)
        {
            return "sessionId is missing";
        }

        return CallbackUrlProblem(command.CallbackUrl, allowInsecureCallbacks) ?? ProjectNameProblem(command.ProjectName);
    }

    /// <summary>The group id of a command, if it is one that may be repeated in an event; else empty.</summary>
    public static string EchoableGroupId(SubmitAvatarAssets command) =>
        command.GroupId is { Length: > 0 and <= MaxGroupIdLength } groupId && !groupId.Any(char.IsControl) ? groupId : "";

    /// <param name="command">The command.</param>
    /// <param name="allowInsecureAssetUrls">
    /// Development switch (<c>Avatar:AllowInsecureAssetUrls</c>): asset URLs over plain http, or naming an IP address or
    /// a local host name. Without it, only https URLs of public host names: xcompute fetches them, and must not be
    /// pointed at addresses inside anyone's network.
    /// </param>
    public static string? Validate(SubmitAvatarAssets command, bool allowInsecureAssetUrls = false)
    {
        if (command.SubmissionId == Guid.Empty)
        {
            return "submissionId is missing";
        }

        if (string.IsNullOrWhiteSpace(command.GroupId))
        {
            return "groupId is missing";
        }

        if (command.GroupId.Length > MaxGroupIdLength)
        {
            return $"groupId is longer than {MaxGroupIdLength} characters";
        }

        if (command.GroupId.Any(char.IsControl))
        {
            return "groupId contains control characters";
        }

        if (!Enum.IsDefined(command.AssetType))
        {
            return $"assetType must be one of {string.Join(", ", Enum.GetNames<AvatarAssetType>())}";
        }

        // Senders outside .NET can leave out a "non-nullable" list.
        if (command.Assets is not { Count: > 0 and <= MaxAssets } assets)
        {
            return $"assets must hold 1 to {MaxAssets} items, not {command.Assets?.Count ?? 0}";
        }

        for (var i = 0; i < assets.Count; i++)
        {
            if (assets[i] is not { } asset)
            {
                return $"assets[{i}] is missing";
            }

            if (AssetUrlProblem($"assets[{i}].url", asset.Url, allowInsecureAssetUrls) is { } problem)
            {
                return problem;
            }

            if (string.IsNullOrWhiteSpace(asset.Name))
            {
                return $"assets[{i}].name is missing";
            }

            if (asset.Name.Length > MaxNameLength)
            {
                return $"assets[{i}].name is longer than {MaxNameLength} characters";
            }

            if (asset.Name.Any(char.IsControl))
            {
                return $"assets[{i}].name contains control characters";
            }
        }

        return ProjectNameProblem(command.ProjectName);
    }

    private static string? AssetUrlProblem(string field, string? url, bool allowInsecure)
    {
        if (ParseUrl(field, url, out var uri) is { } problem)
        {
            return problem;
        }

        if (!string.IsNullOrEmpty(uri!.UserInfo))
        {
            return $"{field} must not carry credentials (user info)";
        }

        if (allowInsecure)
        {
            return null;
        }

        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            return $"{field} must be an https URL";
        }

        // xcompute fetches the URL: an address literal or a name without a public domain could point it anywhere.
        var host = uri.IdnHost;
        return uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 || !host.Contains('.')
            || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".local", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".internal", StringComparison.OrdinalIgnoreCase)
            ? $"{field} must name a public host, not an IP address or a local name"
            : null;
    }

    private static string? ParseUrl(string field, string? url, out Uri? parsed)
    {
        parsed = null;
        if (string.IsNullOrWhiteSpace(url))
        {
            return $"{field} is missing";
        }

        if (url.Length > MaxUrlLength)
        {
            return $"{field} is longer than {MaxUrlLength} characters";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return $"{field} must be an absolute http or https URL";
        }

        parsed = uri;
        return null;
    }

    /// <summary>
    /// The person's browser lands on the callback URL with the byted token in its query: https only (http for loopback,
    /// or with the development switch), and no credentials in the URL, which xcompute and the browser would see.
    /// </summary>
    private static string? CallbackUrlProblem(string? url, bool allowInsecure)
    {
        if (ParseUrl("callbackUrl", url, out var uri) is { } problem)
        {
            return problem;
        }

        if (!string.IsNullOrEmpty(uri!.UserInfo))
        {
            return "callbackUrl must not carry credentials (user info)";
        }

        return uri.Scheme == Uri.UriSchemeHttps || allowInsecure || IsLoopback(uri)
            ? null
            : "callbackUrl must be an https URL (http only for loopback addresses)";
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));

    private static string? ProjectNameProblem(string? projectName) => projectName switch
    {
        null => null,
        { Length: > MaxProjectNameLength } => $"projectName is longer than {MaxProjectNameLength} characters",
        _ when !ProjectName().IsMatch(projectName) => "projectName must be letters, digits, '.', '_' or '-', starting with a letter or digit",
        _ => null,
    };

    [GeneratedRegex(ProjectNamePattern, RegexOptions.CultureInvariant)]
    private static partial Regex ProjectName();
}
