namespace Avatar.Worker.Scheduling;

/// <summary>The queues the dispatcher sends claims to, named once for the endpoints and the senders.</summary>
public static class PollQueues
{
    public const string Session = "poll-session";

    public const string Submission = "poll-submission";

    public static readonly Uri SessionAddress = new($"queue:{Session}");

    public static readonly Uri SubmissionAddress = new($"queue:{Submission}");
}
