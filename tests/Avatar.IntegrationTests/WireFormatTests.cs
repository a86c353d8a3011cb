using System.Text;
using System.Text.Json.Nodes;
using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Avatar.IntegrationTests;

/// <summary>The contracts as a service in another language sees them: MassTransit's JSON envelope, camelCase.</summary>
[Collection(SecondAvatarCollection.Name)]
public sealed class WireFormatTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    private IConnection? connection;

    [Fact]
    public async Task Hand_written_command_is_consumed_and_the_event_arrives_in_camel_case()
    {
        await using var channel = await ConnectAsync();
        var events = await channel.QueueDeclareAsync(exclusive: true, autoDelete: true);
        // Its own flows' events: the routing key is the owner, the user that published the command.
        await channel.QueueBindAsync(events.QueueName, "Avatar.Contracts:AvatarSessionCreated", Fixture.Services.AmqpUser);
        var sessionId = Guid.NewGuid();

        await PublishAsync(channel, "CreateAvatarSession", $$"""{"sessionId":"{{sessionId}}","callbackUrl":"{{CallbackFor(sessionId)}}"}""");

        await Events.WaitFor<AvatarSessionCreated>(e => e.SessionId == sessionId);
        var envelope = await NextAsync(channel, events.QueueName, m => (string?)m["sessionId"] == sessionId.ToString());
        Assert.Contains("urn:message:Avatar.Contracts:AvatarSessionCreated", envelope["messageType"]!.AsArray().Select(t => (string?)t));
        var message = envelope["message"]!.AsObject();
        Assert.Equal(["sessionId", "h5Link", "expiresAt"], message.Select(p => p.Key));
        Assert.StartsWith("http", (string?)message["h5Link"]);
    }

    [Fact]
    public async Task Every_event_arrives_with_its_documented_field_names()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
        await using var channel = await ConnectAsync();
        var queue = (await channel.QueueDeclareAsync(exclusive: true, autoDelete: true)).QueueName;
        string[] events = ["AvatarSessionCreated", "AvatarSessionFailed", "AvatarAuthVerified", "AvatarAuthFailed", "AvatarAssetsApproved", "AvatarAssetsRejected"];
        foreach (var type in events)
        {
            await channel.QueueBindAsync(queue, $"Avatar.Contracts:{type}", Fixture.Services.AmqpUser);
        }

        // One flow for each event: a refused command, a verified person, a failed person, an approved and a rejected review.
        var refused = Guid.NewGuid();
        await Fixture.Publish(new CreateAvatarSession(refused, "not a url", null));
        await Events.WaitFor<AvatarSessionFailed>(e => e.SessionId == refused);
        var groupId = await VerifiedGroupAsync();
        var failing = await CreateSessionAsync();
        await Simulator.CompleteH5Async(failing.H5Link, pass: false);
        await Fixture.Publish(new AvatarAuthCompleted(failing.SessionId));
        await Events.WaitFor<AvatarAuthFailed>(e => e.SessionId == failing.SessionId);
        var approved = Submission(groupId, "front");
        var rejected = Submission(groupId, "front", "side-reject");
        await Fixture.Publish(approved);
        await Fixture.Publish(rejected);
        await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == approved.SubmissionId);
        await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == rejected.SubmissionId);

        var seen = new Dictionary<string, JsonObject>();
        while (seen.Count < events.Length && await channel.BasicGetAsync(queue, autoAck: true) is { } delivery)
        {
            var envelope = JsonNode.Parse(delivery.Body.Span)!.AsObject();
            var type = ((string)envelope["messageType"]![0]!)["urn:message:Avatar.Contracts:".Length..];
            seen.TryAdd(type, envelope["message"]!.AsObject());
        }

        string[] asset = ["assetId", "assetUrl", "name", "status"];
        Assert.Equal(["sessionId", "h5Link", "expiresAt"], Keys(seen["AvatarSessionCreated"]));
        Assert.Equal(["sessionId", "errorCode", "reason"], Keys(seen["AvatarSessionFailed"]));
        Assert.Equal(["sessionId", "groupId"], Keys(seen["AvatarAuthVerified"]));
        Assert.Equal(["sessionId", "errorCode", "reason"], Keys(seen["AvatarAuthFailed"]));
        Assert.Equal(["submissionId", "groupId", "assets"], Keys(seen["AvatarAssetsApproved"]));
        Assert.Equal(asset, Keys(seen["AvatarAssetsApproved"]["assets"]![0]!.AsObject()));
        Assert.Equal(["submissionId", "groupId", "usableAssets", "failedAssets", "errorCode", "reason"], Keys(seen["AvatarAssetsRejected"]));
        Assert.Equal(asset, Keys(seen["AvatarAssetsRejected"]["usableAssets"]![0]!.AsObject()));
        Assert.Equal(asset, Keys(seen["AvatarAssetsRejected"]["failedAssets"]![0]!.AsObject()));

        static string[] Keys(JsonObject message) => [.. message.Select(p => p.Key)];
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
        var groupId = await MintGroupAsync();
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

        await base.DisposeAsync();
    }

    private async Task<IChannel> ConnectAsync()
    {
        connection ??= await Fixture.Services.ConnectAsync();
        return await connection.CreateChannelAsync();
    }

    /// <summary>
    /// What a publisher without MassTransit sends: the message type's exchange, the envelope, the message, and its
    /// RabbitMQ user as the AMQP <c>user-id</c>.
    /// </summary>
    private async Task PublishAsync(IChannel channel, string messageType, string message)
    {
        var envelope = $$"""
            {"messageId":"{{Guid.NewGuid()}}","messageType":["urn:message:Avatar.Contracts:{{messageType}}"],"message":{{message}}}
            """;
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true, UserId = Fixture.Services.AmqpUser };
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
