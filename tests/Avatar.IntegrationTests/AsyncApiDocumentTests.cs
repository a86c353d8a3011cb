using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Json.Schema;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using YamlDotNet.RepresentationModel;

namespace Avatar.IntegrationTests;

/// <summary>
/// <c>docs/asyncapi.yaml</c> cannot drift from the contracts: every message the worker and its callers put on the wire,
/// as MassTransit serialized it, validates against the document's schema for its exchange, and the document names every
/// contract, every error code and the contracts' version.
/// </summary>
[Collection(SecondAvatarCollection.Name)]
public sealed class AsyncApiDocumentTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    private static readonly JsonObject Document = ReadDocument();

    /// <summary>The answers to a request, which travel to its reply-to rather than through an exchange of their own.</summary>
    private static readonly Type[] Replies = [typeof(AvatarStatus), typeof(AvatarStatusNotFound)];

    /// <summary>
    /// Every command, request and event, each on its own exchange: the records of Avatar.Contracts but the two that only
    /// appear inside them and the replies.
    /// </summary>
    private static readonly Type[] Contracts = [.. typeof(CreateAvatarSession).Assembly.GetExportedTypes()
        .Where(t => t.GetMethod("<Clone>$") is not null && t != typeof(AvatarAssetSource) && t != typeof(ReviewedAvatarAsset) && !Replies.Contains(t))];

    [Fact]
    public void The_document_carries_the_contracts_version_every_contract_and_every_error_code()
    {
        var version = typeof(CreateAvatarSession).Assembly.GetName().Version!;
        Assert.Equal($"{version.Major}.{version.Minor}.{version.Build}", (string?)Document["info"]!["version"]);

        Assert.Equal(11, Contracts.Length);
        var addresses = Document["channels"]!.AsObject().Select(c => (string?)c.Value!["address"]).ToHashSet();
        Assert.All(Contracts, t => Assert.Contains($"Avatar.Contracts:{t.Name}", addresses));

        // The replies are the messages of the channel the request's operation replies on.
        var reply = Document["operations"]!["receiveGetAvatarStatus"]!["reply"]!;
        Assert.Equal("$message.header#/reply_to", (string?)reply["address"]!["location"]);
        var replyChannel = Resolve((string)reply["channel"]!["$ref"]!);
        Assert.Equal(Replies.Select(t => t.Name).Order(), replyChannel["messages"]!.AsObject().Select(m => m.Key).Order());

        // Commands on fanout exchanges, events on topic exchanges keyed by owner, as AvatarEvents says and the worker declares.
        foreach (var contract in Contracts)
        {
            var exchange = Document["channels"]!.AsObject().Single(c => (string?)c.Value!["address"] == AvatarEvents.ExchangeOf(contract)).Value!["bindings"]!["amqp"]!["exchange"]!;
            Assert.Equal(AvatarEvents.Types.Contains(contract) ? AvatarEvents.ExchangeType : ExchangeType.Fanout, (string?)exchange["type"]);
        }

        var codes = typeof(AvatarErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!).Order();
        Assert.Equal(codes, Schemas["ErrorCode"]!["enum"]!.AsArray().Select(c => (string)c!).Order());
    }

    [Fact]
    public async Task Every_message_on_the_wire_validates_against_the_schema_of_its_exchange()
    {
        await using var connection = await Fixture.Services.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        foreach (var contract in Contracts)
        {
            // The exchanges exist once the worker or a publisher declared them; declaring again is harmless. This test's
            // user may bind to every owner's events.
            var isEvent = AvatarEvents.Types.Contains(contract);
            await channel.ExchangeDeclareAsync(AvatarEvents.ExchangeOf(contract), isEvent ? AvatarEvents.ExchangeType : ExchangeType.Fanout, durable: true);
            await channel.QueueBindAsync(queue, AvatarEvents.ExchangeOf(contract), isEvent ? "#" : "");
        }

        // A flow that puts every command and every event on the wire.
        var groupId = await VerifiedGroupAsync();
        var failing = await CreateSessionAsync();
        await Simulator.CompleteH5Async(failing.H5Link, pass: false);
        await Fixture.Publish(new AvatarAuthCompleted(failing.SessionId));
        await Events.WaitFor<AvatarAuthFailed>(e => e.SessionId == failing.SessionId);
        var refused = Guid.NewGuid();
        await Fixture.Publish(new CreateAvatarSession(refused, "not a url", null));
        await Events.WaitFor<AvatarSessionFailed>(e => e.SessionId == refused);
        var unknown = Guid.NewGuid();
        await Fixture.Publish(new AvatarAuthCompleted(unknown));
        await Events.WaitFor<AvatarCommandRefused>(e => e.FlowId == unknown);
        var approved = Submission(groupId, "front", "side") with { AssetType = AvatarAssetType.Image, ProjectName = "default" };
        var rejected = Submission(groupId, "front", "side-reject");
        await Fixture.Publish(approved);
        await Fixture.Publish(rejected);
        await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == approved.SubmissionId);
        await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == rejected.SubmissionId);

        // A status request by MassTransit's request client, and two written by hand to RabbitMQ's direct reply-to, as
        // the document describes it: each answer validates against its schema.
        await Fixture.Status.GetResponse<AvatarStatus, AvatarStatusNotFound>(new GetAvatarStatus(approved.SubmissionId));
        var replies = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var replyConsumer = new AsyncEventingBasicConsumer(channel);
        replyConsumer.ReceivedAsync += (_, delivery) =>
        {
            replies.Enqueue(Encoding.UTF8.GetString(delivery.Body.Span));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync("amq.rabbitmq.reply-to", autoAck: true, replyConsumer);
        foreach (var id in new[] { approved.SubmissionId, Guid.NewGuid() })
        {
            var request = new JsonObject
            {
                ["messageId"] = Guid.NewGuid().ToString(),
                ["requestId"] = Guid.NewGuid().ToString(),
                ["responseAddress"] = $"rabbitmq://localhost/{Uri.EscapeDataString(Fixture.Services.AmqpVirtualHost)}/amq.rabbitmq.reply-to",
                ["messageType"] = new JsonArray("urn:message:Avatar.Contracts:GetAvatarStatus"),
                ["message"] = new JsonObject { ["id"] = id.ToString() },
            };
            var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", ReplyTo = "amq.rabbitmq.reply-to", UserId = Fixture.Services.AmqpUser };
            await channel.BasicPublishAsync($"Avatar.Contracts:{nameof(GetAvatarStatus)}", "", mandatory: false, properties, Encoding.UTF8.GetBytes(request.ToJsonString()));
        }

        await WaitUntil(() => replies.Count == 2);
        var answered = new List<string>();
        foreach (var text in replies)
        {
            var body = JsonNode.Parse(text)!;
            var type = ((string)body["messageType"]![0]!).Replace("urn:message:Avatar.Contracts:", "", StringComparison.Ordinal);
            var result = SchemaForMessage(type).Evaluate(System.Text.Json.JsonSerializer.SerializeToElement(body), new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
            Assert.True(result.IsValid, $"{type}: {Describe(result)}\n{body}");
            answered.Add(type);
        }

        Assert.Equal([nameof(AvatarStatus), nameof(AvatarStatusNotFound)], answered.Order());

        var seen = new Dictionary<string, int>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } delivery)
        {
            var body = JsonNode.Parse(Encoding.UTF8.GetString(delivery.Body.Span))!;
            var result = SchemaFor(delivery.Exchange).Evaluate(System.Text.Json.JsonSerializer.SerializeToElement(body), new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
            Assert.True(result.IsValid, $"{delivery.Exchange}: {Describe(result)}\n{body}");
            seen[delivery.Exchange] = seen.GetValueOrDefault(delivery.Exchange) + 1;
        }

        Assert.All(Contracts, t => Assert.True(seen.ContainsKey($"Avatar.Contracts:{t.Name}"), $"no {t.Name} was seen on the wire"));
    }

    [Fact]
    public void A_message_the_document_does_not_describe_fails_validation()
    {
        var envelope = new JsonObject
        {
            ["messageId"] = Guid.NewGuid().ToString(),
            ["messageType"] = new JsonArray("urn:message:Avatar.Contracts:AvatarAuthCompleted"),
            ["message"] = new JsonObject { ["sessionId"] = Guid.NewGuid().ToString(), ["addedWithoutTheDocument"] = 1 },
        };

        var schema = SchemaFor("Avatar.Contracts:AvatarAuthCompleted");
        Assert.False(schema.Evaluate(System.Text.Json.JsonSerializer.SerializeToElement(envelope)).IsValid);
        ((JsonObject)envelope["message"]!).Remove("addedWithoutTheDocument");
        Assert.True(schema.Evaluate(System.Text.Json.JsonSerializer.SerializeToElement(envelope)).IsValid);
    }

    private static JsonObject Schemas => Document["components"]!["schemas"]!.AsObject();

    /// <summary>The payload schema of the channel at <paramref name="exchange"/>, standing alone: the document's schemas as its <c>$defs</c>.</summary>
    private static JsonSchema SchemaFor(string exchange)
    {
        var channel = Document["channels"]!.AsObject().Single(c => (string?)c.Value!["address"] == exchange).Value!;
        return SchemaForMessage(channel["messages"]!.AsObject().Single().Key);
    }

    /// <summary>The payload schema of the message <paramref name="name"/>, standing alone.</summary>
    private static JsonSchema SchemaForMessage(string name)
    {
        var payloadRef = (string)Document["components"]!["messages"]![name]!["payload"]!["$ref"]!;
        var standalone = new JsonObject
        {
            ["$schema"] = "http://json-schema.org/draft-07/schema#",
            ["$defs"] = Schemas.DeepClone(),
            ["$ref"] = payloadRef,
        };
        return JsonSchema.FromText(standalone.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal));
    }

    private static JsonNode Resolve(string reference) =>
        reference.TrimStart('#', '/').Split('/').Aggregate((JsonNode)Document, (node, part) => node[part]!);

    private static string Describe(EvaluationResults result) => string.Join("; ", (result.Details ?? [])
        .Where(d => d.Errors is { Count: > 0 })
        .Select(d => $"{d.InstanceLocation}: {string.Join(", ", d.Errors!.Values)}"));

    private static JsonObject ReadDocument()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Repository.Root, "docs", "asyncapi.yaml"))));
        return (JsonObject)ToJson(yaml.Documents[0].RootNode)!;
    }

    /// <summary>YAML to JSON: plain scalars that read as booleans, numbers or null become those; everything else a string.</summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "true" or "false" } scalar => JsonValue.Create(scalar.Value == "true"),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "null" or "~" } => null,
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } scalar when long.TryParse(scalar.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new InvalidOperationException($"unexpected YAML node {node.NodeType}"),
    };
}
