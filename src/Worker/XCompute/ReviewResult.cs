using System.Text.Json;

namespace Avatar.Worker.XCompute;

/// <summary>One asset of a review as xcompute reported it; its name is the submitted one, echoed or matched by position.</summary>
public sealed record ReportedAsset(string AssetId, string AssetUrl, string? Name, string Status);

/// <summary>The per-asset outcome of a review task, read leniently: a missing list means an empty one.</summary>
public sealed record ReviewResult(IReadOnlyList<ReportedAsset> Usable, IReadOnlyList<ReportedAsset> Failed)
{
    private const string Active = "Active";

    /// <param name="submittedNames">The names of the submitted assets, in the order they were submitted.</param>
    public static ReviewResult From(JsonElement? result, IReadOnlyList<string> submittedNames)
    {
        if (result is not { } r)
        {
            return new ReviewResult([], []);
        }

        var all = r.Array("assets").ToList();
        var names = NamesById(all, submittedNames);

        var usable = r.Array("usable_assets").Select(a => Read(a, names)).ToList();
        var failed = r.Array("failed_assets").Select(a => Read(a, names)).ToList();

        if (usable.Count == 0 && failed.Count == 0 && all.Count > 0)
        {
            // Only "assets" came back: split it by status.
            var read = all.Select(a => Read(a, names)).ToList();
            usable = read.Where(a => IsUsable(a)).ToList();
            failed = read.Where(a => !IsUsable(a)).ToList();
        }

        if (usable.Count == 0 && failed.Count == 0 && r.String("asset_url") is { } single)
        {
            // A single-asset review may only carry result.asset_url.
            usable.Add(new ReportedAsset(
                r.String("asset_id") ?? single.Replace("asset://", "", StringComparison.Ordinal),
                single,
                submittedNames.Count == 1 ? submittedNames[0] : null,
                r.String("status") ?? Active));
        }

        return new ReviewResult(usable, failed);
    }

    private static bool IsUsable(ReportedAsset asset) =>
        asset.AssetUrl.StartsWith("asset://", StringComparison.Ordinal) && string.Equals(asset.Status, Active, StringComparison.OrdinalIgnoreCase);

    /// <summary>Names come back only if xcompute echoes them; otherwise "assets" is matched to the submission by position.</summary>
    private static Dictionary<string, string> NamesById(List<JsonElement> all, IReadOnlyList<string> submitted)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < all.Count; i++)
        {
            if (all[i].String("asset_id", "id", "AssetId") is not { } id)
            {
                continue;
            }

            if (all[i].String("name", "Name") is { } echoed)
            {
                names[id] = echoed;
            }
            else if (all.Count == submitted.Count)
            {
                names[id] = submitted[i];
            }
        }

        return names;
    }

    private static ReportedAsset Read(JsonElement asset, Dictionary<string, string> names)
    {
        var id = asset.String("asset_id", "id", "AssetId") ?? "";
        return new ReportedAsset(
            id,
            asset.String("asset_url", "url", "AssetUrl") ?? "",
            asset.String("name", "Name") ?? names.GetValueOrDefault(id),
            asset.String("status", "Status") ?? "Unknown");
    }
}
