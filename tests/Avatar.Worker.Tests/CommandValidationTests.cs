using System.Text.Json;
using Avatar.Contracts;
using Avatar.Worker.Messaging;
using Avatar.Worker.Workflows;

namespace Avatar.Worker.Tests;

public sealed class CommandValidationTests
{
    [Fact]
    public void Valid_submission_passes() =>
        Assert.Null(CommandValidation.Validate(new SubmitAvatarAssets(Guid.NewGuid(), "g", [new AvatarAssetSource("https://cdn.example/a.mp4", "a")])));

    [Fact]
    public void Missing_fields_from_a_non_dotnet_sender_are_named_not_thrown()
    {
        // JSON from another language can leave out "non-nullable" members.
        var command = JsonSerializer.Deserialize<SubmitAvatarAssets>("""{"submissionId":"6c1f8ac6-4ad4-4b4c-9a1f-1b0f2f0f7a11","groupId":"g"}""", JsonSerializerOptions.Web)!;

        Assert.Equal("assets must hold 1 to 20 items, not 0", CommandValidation.Validate(command));
    }

    [Fact]
    public void Null_asset_is_named() =>
        Assert.Equal("assets[0] is missing", CommandValidation.Validate(new SubmitAvatarAssets(Guid.NewGuid(), "g", [null!])));

    [Theory]
    [InlineData("https://caller.example/cb", null)]
    [InlineData("http://caller.example/cb?x=1", null)]
    [InlineData("caller.example/cb", "callbackUrl must be an absolute http or https URL")]
    [InlineData("javascript:alert(1)", "callbackUrl must be an absolute http or https URL")]
    public void Callback_url_must_be_absolute_http(string url, string? problem) =>
        Assert.Equal(problem, CommandValidation.Validate(new CreateAvatarSession(Guid.NewGuid(), url, null)));

    [Fact]
    public void Empty_session_id_is_named() =>
        Assert.Equal("sessionId is missing", CommandValidation.Validate(new CreateAvatarSession(Guid.Empty, "https://cb.example", null)));

    [Theory]
    [InlineData("\"Image\"", AvatarAssetType.Image)]
    [InlineData("\"video\"", AvatarAssetType.Video)]
    [InlineData("1", AvatarAssetType.Image)]
    public void Asset_type_is_read_by_name_or_number(string json, AvatarAssetType expected) =>
        Assert.Equal(expected, JsonSerializer.Deserialize<AvatarAssetType>(json, Lenient));

    [Fact]
    public void Unknown_asset_type_reaches_validation_instead_of_failing_deserialization()
    {
        var type = JsonSerializer.Deserialize<AvatarAssetType>("\"Audio\"", Lenient);

        Assert.False(Enum.IsDefined(type));
        Assert.Equal(
            "assetType must be one of Video, Image",
            CommandValidation.Validate(new SubmitAvatarAssets(Guid.NewGuid(), "g", [new AvatarAssetSource("https://cdn/a", "a")], type)));
    }

    [Fact]
    public void Asset_type_is_written_by_name() =>
        Assert.Equal("\"Image\"", JsonSerializer.Serialize(AvatarAssetType.Image, Lenient));

    private static readonly JsonSerializerOptions Lenient = new() { Converters = { new LenientEnumConverterFactory() } };
}
