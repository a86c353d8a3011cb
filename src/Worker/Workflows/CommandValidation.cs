using Avatar.Contracts;

namespace Avatar.Worker.Workflows;

/// <summary>Checks commands before anything is stored or sent; each answer names the problem.</summary>
public static class CommandValidation
{
    public const int MaxAssets = 20;
    public const int MaxUrlLength = 2048;
    public const int MaxNameLength = 255;
    public const int MaxProjectNameLength = 128;
    public const int MaxGroupIdLength = 256;

    public static string? Validate(CreateAvatarSession command)
    {
        if (command.SessionId == Guid.Empty)
        {
            return "sessionId is missing";
        }

        return UrlProblem("callbackUrl", command.CallbackUrl) ?? ProjectNameProblem(command.ProjectName);
    }

    public static string? Validate(SubmitAvatarAssets command)
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

            if (UrlProblem($"assets[{i}].url", asset.Url) is { } problem)
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
        }

        return ProjectNameProblem(command.ProjectName);
    }

    private static string? UrlProblem(string field, string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return $"{field} is missing";
        }

        if (url.Length > MaxUrlLength)
        {
            return $"{field} is longer than {MaxUrlLength} characters";
        }

        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? null
            : $"{field} must be an absolute http or https URL";
    }

    private static string? ProjectNameProblem(string? projectName) =>
        projectName is { Length: > MaxProjectNameLength } ? $"projectName is longer than {MaxProjectNameLength} characters" : null;
}
