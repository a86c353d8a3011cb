using MassTransit;

namespace Avatar.Worker.Telemetry;

/// <summary>
/// Puts the id a message is about (<c>SessionId</c> or <c>SubmissionId</c>) in the logging scope of everything its
/// consumer logs, so every line about a session or submission carries its id as a field (JSON logs show scopes).
/// </summary>
public sealed class LogScopeFilter<T>(ILogger<LogScopeFilter<T>> logger) : IFilter<ConsumeContext<T>>
    where T : class
{
    private static readonly Func<T, KeyValuePair<string, object>?> IdOf = Find();

    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        using var scope = IdOf(context.Message) switch
        {
            { Key: "SubmissionId", Value: var id } => logger.BeginScope("SubmissionId {SubmissionId}", id),
            { Value: var id } => logger.BeginScope("SessionId {SessionId}", id),
            null => null,
        };
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("logScope");

    private static Func<T, KeyValuePair<string, object>?> Find()
    {
        var property = typeof(T).GetProperty("SubmissionId") ?? typeof(T).GetProperty("SessionId");
        return property is null
            ? _ => null
            : message => property.GetValue(message) is { } value ? new KeyValuePair<string, object>(property.Name, value) : null;
    }
}
