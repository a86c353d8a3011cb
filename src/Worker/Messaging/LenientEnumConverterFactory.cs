using System.Text.Json;
using System.Text.Json.Serialization;

namespace Avatar.Worker.Messaging;

/// <summary>
/// Reads enums by name (any case) or number and writes them by name. An unknown name becomes an undefined value
/// instead of a deserialization error, so the command still reaches its consumer and is rejected with a reason.
/// </summary>
public sealed class LenientEnumConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(LenientEnumConverter<>).MakeGenericType(typeToConvert))!;

    private sealed class LenientEnumConverter<T> : JsonConverter<T>
        where T : struct, Enum
    {
        private static readonly T Unknown = (T)Enum.ToObject(typeof(T), -1);

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.String => Enum.TryParse<T>(reader.GetString(), ignoreCase: true, out var value) && Enum.IsDefined(value) ? value : Unknown,
            JsonTokenType.Number when reader.TryGetInt32(out var number) => (T)Enum.ToObject(typeof(T), number),
            _ => Unknown,
        };

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }
}
