namespace Avatar.Worker.Scheduling;

/// <summary>The queues the dispatcher sends claims to, named once for the endpoints and the senders.</summary>
public static class PollQueues
{
    public const string Session = "poll-session";

    public const string Submission = "poll-submission";

    // The endpoint's own exchange (MassTransit binds it to the queue of the same name), not "queue:": a send to a
    // queue address declares the queue, without its type, which a quorum queue refuses (PRECONDITION_FAILED).
    public static readonly Uri SessionAddress = new($"exchange:{Session}");

    public static readonly Uri SubmissionAddress = new($"exchange:{Submission}");
}
