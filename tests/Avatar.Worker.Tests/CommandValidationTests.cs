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
    [InlineData("http://127.0.0.1:8080/cb?x=1", null)]
    [InlineData("http://localhost/cb", null)]
    [InlineData("http://[::1]/cb", null)]
    [InlineData("http://caller.example/cb?x=1", "callbackUrl must be an https URL (http only for loopback addresses)")]
    [InlineData("https://user:secret@caller.example/cb", "callbackUrl must not carry credentials (user info)")]
    [InlineData("https://user@caller.example/cb", "callbackUrl must not carry credentials (user info)")]
    [InlineData("caller.example/cb", "callbackUrl must be an absolute http or https URL")]
    [InlineData("javascript:alert(1)", "callbackUrl must be an absolute http or https URL")]
    public void Callback_url_must_be_absolute_http(string url, string? problem) =>
        Assert.Equal(problem, CommandValidation.Validate(new CreateAvatarSession(Guid.NewGuid(), url, null)));

    [Fact]
    public void The_development_switch_allows_plain_http_callbacks_but_never_credentials()
    {
        Assert.Null(CommandValidation.Validate(new CreateAvatarSession(Guid.NewGuid(), "http://caller.example/cb", null), allowInsecureCallbacks: true));
        Assert.NotNull(CommandValidation.Validate(new CreateAvatarSession(Guid.NewGuid(), "http://u:p@caller.example/cb", null), allowInsecureCallbacks: true));
    }

    [Theory]
    [InlineData("https://cdn.example/a.mp4", null)]
    [InlineData("http://cdn.example/a.mp4", "assets[0].url must be an https URL")]
    [InlineData("https://10.0.0.5/a.mp4", "assets[0].url must name a public host, not an IP address or a local name")]
    [InlineData("https://169.254.169.254/latest/meta-data", "assets[0].url must name a public host, not an IP address or a local name")]
    [InlineData("https://[fd00::1]/a.mp4", "assets[0].url must name a public host, not an IP address or a local name")]
    [InlineData("https://localhost/a.mp4", "assets[0].url must name a public host, not an IP address or a local name")]
    [InlineData("https://storage/a.mp4", "assets[0].url must name a public host, not an IP address or a local name")]
    [InlineData("https://minio.internal/a.mp4", "assets[0].url must name a public host, not an IP address or a local name")]
    [InlineData("https://user:pw@cdn.example/a.mp4", "assets[0].url must not carry credentials (user info)")]
    public void Asset_urls_are_https_on_public_host_names(string url, string? problem)
    {
        var command = new SubmitAvatarAssets(Guid.NewGuid(), "g", [new AvatarAssetSource(url, "a")]);

        Assert.Equal(problem, CommandValidation.Validate(command));
        Assert.Equal(problem?.Contains("credentials") == true ? problem : null, CommandValidation.Validate(command, allowInsecureAssetUrls: true));
    }

    [Theory]
    [InlineData("default", true)]
    [InlineData("team-a.video_2", true)]
    [InlineData("-leading-dash", false)]
    [InlineData("with space", false)]
    [InlineData("../escape", false)]
    [InlineData("ünicode", false)]
    public void Project_name_follows_the_documented_pattern(string projectName, bool valid) =>
        Assert.Equal(valid, CommandValidation.Validate(new CreateAvatarSession(Guid.NewGuid(), "https://cb.example", projectName)) is null);

    [Fact]
    public void An_invalid_group_id_is_not_echoed()
    {
        var command = new SubmitAvatarAssets(Guid.NewGuid(), new string('g', 300), [new AvatarAssetSource("https://cdn.example/a.mp4", "a")]);

        Assert.Equal("", CommandValidation.EchoableGroupId(command));
        Assert.Equal("g-1", CommandValidation.EchoableGroupId(command with { GroupId = "g-1" }));
        Assert.Equal("", CommandValidation.EchoableGroupId(command with { GroupId = "g\n1" }));
    }

    [Fact]
    public void A_command_fingerprint_tells_other_content_from_a_redelivery()
    {
        var command = new SubmitAvatarAssets(Guid.NewGuid(), "g", [new AvatarAssetSource("https://cdn.example/a.mp4", "ab"), new AvatarAssetSource("https://cdn.example/b.mp4", "c")]);

        Assert.Equal(CommandFingerprint.Of(command), CommandFingerprint.Of(command with { Assets = [.. command.Assets] }));
        Assert.NotEqual(CommandFingerprint.Of(command), CommandFingerprint.Of(command with { Assets = [command.Assets[1], command.Assets[0]] }));
        Assert.NotEqual(
            CommandFingerprint.Of(command),
            CommandFingerprint.Of(command with { Assets = [new AvatarAssetSource("https://cdn.example/a.mp4", "a"), new AvatarAssetSource("https://cdn.example/b.mp4", "bc")] }));
        Assert.NotEqual(CommandFingerprint.Of(command), CommandFingerprint.Of(command with { ProjectName = "other" }));
        Assert.True(CommandFingerprint.Matches(null, CommandFingerprint.Of(command)));
    }

    [Fact]
    public void Empty_session_id_is_named() =>
        Assert.Equal("sessionId is missing", CommandValidation.Validate(new CreateAvatarSession(Guid.Empty, "https://cb.example", null)));

    [Theory]
    [InlineData("\"Image\"", AvatarAssetType.Image)]
    [InlineData("\"video\"", AvatarAssetType.Video)]
    [InlineData("1", AvatarAssetType.Image)]
    public void Asset_type_is_read_by_name_or_number(string json, AvatarAssetType expected)
    {
        foreach (var options in Serializers)
        {
            Assert.Equal(expected, Read(json, options).AssetType);
        }
    }

    [Fact]
    public void Unknown_asset_type_reaches_validation_instead_of_failing_deserialization()
    {
        foreach (var options in Serializers)
        {
            var command = Read("\"Audio\"", options);

            Assert.False(Enum.IsDefined(command.AssetType));
            Assert.Equal("assetType must be one of Video, Image", CommandValidation.Validate(command));
        }
    }

    [Fact]
    public void Asset_type_is_written_by_name() =>
        Assert.Contains("\"assetType\":\"Image\"", JsonSerializer.Serialize(new SubmitAvatarAssets(Guid.NewGuid(), "g", [], AvatarAssetType.Image), Serializers[0]));

    /// <summary>
    /// The contract reads leniently whatever options a bus gives its serializer: plain ones, and ones with a strict
    /// enum converter of their own (which would throw on an unknown name). No bus in the process needs to change its options.
    /// </summary>
    private static readonly JsonSerializerOptions[] Serializers =
    [
        new(JsonSerializerDefaults.Web),
        new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(allowIntegerValues: false) } },
    ];

    private static SubmitAvatarAssets Read(string assetType, JsonSerializerOptions options) => JsonSerializer.Deserialize<SubmitAvatarAssets>(
        $$"""{"submissionId":"{{Guid.NewGuid()}}","groupId":"g","assets":[{"url":"https://cdn.example/a.mp4","name":"a"}],"assetType":{{assetType}}}""", options)!;
}
