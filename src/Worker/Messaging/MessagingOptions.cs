namespace Avatar.Worker.Messaging;

public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>How many messages one consumer handles at once in this instance.</summary>
    public int ConcurrentMessageLimit { get; set; } = 8;

    /// <summary>Retries of a message whose consumer threw (a database hiccup), before it moves to its <c>_error</c> queue.</summary>
    public TimeSpan[] RetryIntervals { get; set; } = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)];
}
