using System.Text.Json;
using System.Text.Json.Serialization;

namespace Avatar.Contracts;

/// <summary>
/// Reads <see cref="AvatarAssetType"/> by name (any case) or number and writes it by name. An unknown name reads as an
/// undefined value instead of failing the whole message, so the worker can answer the command with a reason rather
/// than move it to an error queue. Set on the property itself, so it applies whatever serializer options a bus uses,
/// and changes no other enum of any other message in the process.
/// </summary>
internal sealed class AvatarAssetTypeJsonConverter : JsonConverter<AvatarAssetType>
{
    private const AvatarAssetType Unknown = (AvatarAssetType)(-1);

    public override AvatarAssetType Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => Enum.TryParse<AvatarAssetType>(reader.GetString(), ignoreCase: true, out var value) && Enum.IsDefined(value) ? value : Unknown,
        JsonTokenType.Number when reader.TryGetInt32(out var number) => (AvatarAssetType)number,
        _ => Unknown,
    };

    public override void Write(Utf8JsonWriter writer, AvatarAssetType value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
