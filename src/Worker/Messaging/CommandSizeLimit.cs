using System.Text.Json;
using Avatar.Contracts;
using Avatar.Persistence;
using Avatar.Worker.Telemetry;
using MassTransit;
using MassTransit.Middleware.Rescue;
using MassTransit.Transports;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Messaging;

/// <summary>
/// Refuses a message larger than <see cref="MessagingOptions.MaxMessageSize"/> before MassTransit deserializes it, so
/// a publisher cannot make the worker build a large object graph (or echo one back). When the command and its id can be
/// read from the envelope by a forward-only scan (no objects built, no long string copied), a command for a new id ends
/// at once in its failure event, <c>invalid_request</c>; one naming a flow that exists (and any <c>AvatarAuthCompleted</c>)
/// gets <see cref="AvatarCommandRefused"/>, never an outcome of that flow; anything else moves to the endpoint's
/// <c>_error</c> queue.
/// </summary>
/// <remarks>
/// A receive filter runs ahead of MassTransit's own rescue and deserialize filters, so this one moves the message to
/// <c>_error</c> itself, through the transport's <see cref="IErrorTransport"/>, as MassTransit's error filter would.
/// </remarks>
internal sealed class CommandSizeLimit(long maxSize, IServiceScopeFactory scopes, AvatarMetrics metrics, ILogger logger) : IFilter<ReceiveContext>
{
    private static readonly string CreateSession = MessageUrn.ForTypeString<CreateAvatarSession>();
    private static readonly string AuthCompleted = MessageUrn.ForTypeString<AvatarAuthCompleted>();
    private static readonly string SubmitAssets = MessageUrn.ForTypeString<SubmitAvatarAssets>();

    public static void Apply(IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        var maxSize = context.GetRequiredService<IOptions<MessagingOptions>>().Value.MaxMessageSize;
        var filter = new CommandSizeLimit(
            maxSize, context.GetRequiredService<IServiceScopeFactory>(), context.GetRequiredService<AvatarMetrics>(), context.GetRequiredService<ILoggerFactory>().CreateLogger<CommandSizeLimit>());
        endpoint.ConfigureReceive(receive => receive.UseFilter(filter));
    }

    public async Task Send(ReceiveContext context, IPipe<ReceiveContext> next)
    {
        if (context.Body.Length is not { } size || size <= maxSize)
        {
            await next.Send(context);
            return;
        }

        var reason = $"the command is {size} bytes, more than the {maxSize} bytes this worker accepts";
        var (type, id) = Scan(context.Body.GetBytes());
        if (id is { } readableId && await TryRefuseAsync(context, type, readableId, reason))
        {
            logger.LogWarning("Refused a {Size}-byte {MessageType} {Id} unread: larger than {MaxSize} bytes", size, type, readableId, maxSize);
            return;
        }

        logger.LogWarning("Moved a {Size}-byte message without a readable command id to _error: larger than {MaxSize} bytes", size, maxSize);
        if (!context.TryGetPayload(out IErrorTransport? errorTransport))
        {
            throw new InvalidOperationException($"{reason}, and the endpoint has no error transport to move it to");
        }

        await errorTransport.Send(new RescueExceptionReceiveContext(context, new InvalidDataException(reason)));
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("commandSizeLimit").Add("maxSize", maxSize);

    /// <summary>
    /// Publishes the failure event that ends the command, as its consumer would for an invalid one; false when the
    /// message is none of the commands, or lacks the id its event needs.
    /// </summary>
    private async Task<bool> TryRefuseAsync(ReceiveContext context, string? type, (Guid SessionId, Guid SubmissionId) id, string reason)
    {
        if (type == CreateSession && id.SessionId != Guid.Empty)
        {
            await (await ExistsAsync<AvatarSession>(id.SessionId, context.CancellationToken)
                ? PublishAsync(context, Refusal(nameof(CreateAvatarSession), id.SessionId, AvatarErrorCodes.IdReused, reason))
                : PublishAsync(context, new AvatarSessionFailed(id.SessionId, AvatarErrorCodes.InvalidRequest, reason)));
        }
        else if (type == AuthCompleted && id.SessionId != Guid.Empty)
        {
            // A completion never starts a flow, so it is never an outcome of one.
            await PublishAsync(context, Refusal(nameof(AvatarAuthCompleted), id.SessionId, AvatarErrorCodes.InvalidRequest, reason));
        }
        else if (type == SubmitAssets && id.SubmissionId != Guid.Empty)
        {
            await (await ExistsAsync<AvatarSubmission>(id.SubmissionId, context.CancellationToken)
                ? PublishAsync(context, Refusal(nameof(SubmitAvatarAssets), id.SubmissionId, AvatarErrorCodes.IdReused, reason))
                : PublishAsync(context, new AvatarAssetsRejected(id.SubmissionId, "", [], [], AvatarErrorCodes.InvalidRequest, reason)));
        }
        else
        {
            return false;
        }

        return true;

        AvatarCommandRefused Refusal(string command, Guid flowId, string code, string why) =>
            new(command, flowId, context.GetMessageId(), code, why);
    }

    private async Task<bool> ExistsAsync<TRow>(Guid id, CancellationToken cancellationToken)
        where TRow : class, IScheduled
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AvatarDbContext>().Set<TRow>().AnyAsync(r => r.Id == id, cancellationToken);
    }

    private async Task PublishAsync<T>(ReceiveContext context, T outcome)
        where T : class
    {
        var endpoint = await context.PublishEndpointProvider.GetPublishSendEndpoint<T>();
        await endpoint.Send(outcome, EventRouting.To<T>(Callers.Of(context)), context.CancellationToken);
        metrics.Ended(outcome);
    }

    /// <summary>
    /// The envelope's first message type and the message's <c>sessionId</c> and <c>submissionId</c>, read forward
    /// without building objects; nulls for what is missing or unreadable.
    /// </summary>
    internal static (string? Type, (Guid SessionId, Guid SubmissionId)? Id) Scan(ReadOnlySpan<byte> json)
    {
        const int longestTypeName = 256;
        string? type = null;
        Guid sessionId = default, submissionId = default;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (null, null);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("messageType");
                var isMessage = reader.ValueTextEquals("message");
                reader.Read();
                if (isType && reader.TokenType == JsonTokenType.StartArray)
                {
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (type is null && reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length <= longestTypeName)
                        {
                            type = reader.GetString();
                        }

                        reader.Skip();
                    }
                }
                else if (isMessage && reader.TokenType == JsonTokenType.StartObject)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var isSession = reader.ValueTextEquals("sessionId");
                        var isSubmission = reader.ValueTextEquals("submissionId");
                        reader.Read();
                        if ((isSession || isSubmission) && reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out var guid))
                        {
                            (isSession ? ref sessionId : ref submissionId) = guid;
                        }

                        reader.Skip();
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // What was read before the malformed part still counts.
        }

        return (type, sessionId == Guid.Empty && submissionId == Guid.Empty ? null : (sessionId, submissionId));
    }
}
