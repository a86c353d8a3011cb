using System.Text;
using Avatar.Worker.Messaging;

namespace Avatar.Worker.Tests;

/// <summary>How an oversized message's command and id are read without deserializing it.</summary>
public sealed class CommandSizeLimitTests
{
    private static readonly Guid Id = Guid.Parse("3f2b8c1e-9d4a-4f6b-8e2d-1a7c5b9e0f3d");

    [Fact]
    public void The_envelope_type_and_the_message_id_are_read_past_large_values()
    {
        var json = $$$"""
            {"messageId":"x","headers":{"a":[1,2,{"b":"c"}]},"messageType":["urn:message:Avatar.Contracts:SubmitAvatarAssets","urn:message:Other"],
             "message":{"groupId":"{{{new string('g', 100_000)}}}","assets":[{"url":"u","name":"n"}],"submissionId":"{{{Id}}}"},"host":{}}
            """;

        var (type, id) = CommandSizeLimit.Scan(Encoding.UTF8.GetBytes(json));

        Assert.Equal("urn:message:Avatar.Contracts:SubmitAvatarAssets", type);
        Assert.Equal((Guid.Empty, Id), id);
    }

    [Theory]
    [InlineData("{ this is not json")]
    [InlineData("[1,2,3]")]
    [InlineData("""{"messageType":["urn:message:Avatar.Contracts:CreateAvatarSession"],"message":{"sessionId":"not a guid"}}""")]
    [InlineData("""{"messageType":["urn:message:Avatar.Contracts:CreateAvatarSession"],"message":{"inner":{"sessionId":"3f2b8c1e-9d4a-4f6b-8e2d-1a7c5b9e0f3d"}}}""")]
    [InlineData("""{"sessionId":"3f2b8c1e-9d4a-4f6b-8e2d-1a7c5b9e0f3d"}""")]
    [InlineData("""{"messageType":["urn:message:Avatar.Contracts:CreateAvatarSession"],"message":{"requestId":"3f2b8c1e-9d4a-4f6b-8e2d-1a7c5b9e0f3d"}}""")]
    public void No_id_is_read_from_what_is_not_a_command_envelope_carrying_one(string json) =>
        Assert.Null(CommandSizeLimit.Scan(Encoding.UTF8.GetBytes(json)).Id);

    [Fact]
    public void What_was_read_before_a_malformed_tail_still_counts()
    {
        var json = $$$"""{"messageType":["urn:message:Avatar.Contracts:AvatarAuthCompleted"],"message":{"sessionId":"{{{Id}}}","x":""";

        var (type, id) = CommandSizeLimit.Scan(Encoding.UTF8.GetBytes(json));

        Assert.Equal("urn:message:Avatar.Contracts:AvatarAuthCompleted", type);
        Assert.Equal((Id, Guid.Empty), id);
    }

    [Fact]
    public void An_overlong_message_type_is_not_copied()
    {
        var json = $$$"""{"messageType":["{{{new string('t', 300)}}}"],"message":{"sessionId":"{{{Id}}}"}}""";

        Assert.Null(CommandSizeLimit.Scan(Encoding.UTF8.GetBytes(json)).Type);
    }
}

/// <summary>The limit is above the largest command validation accepts, so it never refuses a valid one.</summary>
public sealed class CommandSizeLimitHeadroomTests
{
    [Fact]
    public void The_largest_valid_command_fits_under_the_default_limit_with_room_for_its_envelope()
    {
        // Names in Chinese (each character escaped to six bytes if the serializer escapes them), URLs at their longest.
        var asset = new Avatar.Contracts.AvatarAssetSource(
            "https://cdn.example/" + new string('a', Avatar.Worker.Workflows.CommandValidation.MaxUrlLength - 20),
            new string('头', Avatar.Worker.Workflows.CommandValidation.MaxNameLength));
        var command = new Avatar.Contracts.SubmitAvatarAssets(
            Guid.NewGuid(), new string('g', 256), [.. Enumerable.Repeat(asset, 20)], Avatar.Contracts.AvatarAssetType.Video, new string('p', 128));
        Assert.Null(Avatar.Worker.Workflows.CommandValidation.Validate(command));

        var size = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(command, MassTransit.Serialization.SystemTextJsonMessageSerializer.Options).Length;

        const int envelope = 4 * 1024;
        Assert.True(size + envelope <= new MessagingOptions().MaxMessageSize, $"the largest valid command is {size} bytes");
    }
}
