using System.Text;
using System.Text.Json.Nodes;
using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Avatar.IntegrationTests;

/// <summary>The contracts as a service in another language sees them: MassTransit's JSON envelope, camelCase.</summary>
public sealed class WireFormatTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    private IConnection? connection;

    [Fact]
    public async Task Hand_written_command_is_consumed_and_the_event_arrives_in_camel_case()
    {
        await using var channel = await ConnectAsync();
        var events = await channel.QueueDeclareAsync(exclusive: true, autoDelete: true);
        await channel.QueueBindAsync(events.QueueName, "Avatar.Contracts:AvatarSessionCreated", "");
        var sessionId = Guid.NewGuid();

        await PublishAsync(channel, "CreateAvatarSession", $$"""{"sessionId":"{{sessionId}}","callbackUrl":"{{CallbackFor(sessionId)}}"}""");

        await Events.WaitFor<AvatarSessionCreated>(e => e.SessionId == sessionId);
        var envelope = await NextAsync(channel, events.QueueName, m => (string?)m["sessionId"] == sessionId.ToString());
        Assert.Contains("urn:message:Avatar.Contracts:AvatarSessionCreated", envelope["messageType"]!.AsArray().Select(t => (string?)t));
        var message = envelope["message"]!.AsObject();
        Assert.Equal(["sessionId", "h5Link", "expiresAt"], message.Select(p => p.Key));
        Assert.StartsWith("http", (string?)message["h5Link"]);
    }

    [Theory]
    [InlineData("\"Image\"", null)]
    [InlineData("\"image\"", null)]
    [InlineData("1", null)]
    [InlineData("\"Audio\"", "assetType must be one of Video, Image")]
    public async Task Hand_written_submission_reads_its_asset_type_by_name_or_number(string assetType, string? problem)
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
        await using var channel = await ConnectAsync();
        var groupId = await Simulator.MintGroupAsync();
        var submissionId = Guid.NewGuid();

        await PublishAsync(channel, "SubmitAvatarAssets", $$"""
            {"submissionId":"{{submissionId}}","groupId":"{{groupId}}","assetType":{{assetType}},
             "assets":[{"url":"https://cdn.example/a.png","name":"portrait"}]}
            """);

        if (problem is null)
        {
            var approved = await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == submissionId);
            Assert.Equal("portrait", Assert.Single(approved.Assets).Name);
        }
        else
        {
            var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == submissionId);
            Assert.Equal(AvatarErrorCodes.InvalidRequest, rejected.ErrorCode);
            Assert.Equal(problem, rejected.Reason);
        }
    }

    public override async Task DisposeAsync()
    {
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }
    }

    private async Task<IChannel> ConnectAsync()
    {
        connection ??= await Fixture.Services.ConnectAsync();
        return await connection.CreateChannelAsync();
    }

    /// <summary>What a publisher without MassTransit sends: the message type's exchange, the envelope, the message.</summary>
    private static async Task PublishAsync(IChannel channel, string messageType, string message)
    {
        var envelope = $$"""
            {"messageId":"{{Guid.NewGuid()}}","messageType":["urn:message:Avatar.Contracts:{{messageType}}"],"message":{{message}}}
            """;
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true };
        await channel.BasicPublishAsync($"Avatar.Contracts:{messageType}", "", mandatory: false, properties, Encoding.UTF8.GetBytes(envelope));
    }

    private static async Task<JsonObject> NextAsync(IChannel channel, string queue, Func<JsonObject, bool> match)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await channel.BasicGetAsync(queue, autoAck: true) is { } delivery)
            {
                var envelope = JsonNode.Parse(delivery.Body.Span)!.AsObject();
                if (match(envelope["message"]!.AsObject()))
                {
                    return envelope;
                }
            }
            else
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"No matching message in {queue}");
    }
}
