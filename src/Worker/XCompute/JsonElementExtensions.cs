using System.Text.Json;

namespace Avatar.Worker.XCompute;

/// <summary>Lenient reading of xcompute's loosely documented JSON: property names match case-insensitively.</summary>
internal static class JsonElementExtensions
{
    public static JsonElement? Find(this JsonElement element, params ReadOnlySpan<string> names)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var name in names)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind != JsonValueKind.Null)
                {
                    return property.Value;
                }
            }
        }

        return null;
    }

    public static string? String(this JsonElement element, params ReadOnlySpan<string> names) => element.Find(names) switch
    {
        { ValueKind: JsonValueKind.String } value => value.GetString() is { Length: > 0 } text ? text : null,
        { ValueKind: JsonValueKind.Number } value => value.GetRawText(),
        _ => null,
    };

    public static IEnumerable<JsonElement> Array(this JsonElement element, string name) =>
        element.Find(name) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : [];
}
