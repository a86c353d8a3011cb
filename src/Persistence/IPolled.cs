namespace Avatar.Persistence;

/// <summary>
/// A row that the poll dispatcher drives: due at <see cref="NextPollAt"/> (null once nothing is left to do),
/// claimed by whoever holds <see cref="LeaseToken"/> until <see cref="LeaseExpiresAt"/>.
/// </summary>
public interface IPolled
{
    Guid Id { get; }

    DateTimeOffset? NextPollAt { get; set; }

    int PollAttempts { get; set; }

    /// <summary>The current (or last) claim. A concurrency token: a save by a holder that lost its claim fails.</summary>
    Guid? LeaseToken { get; set; }

    DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>Attempts in a row that began work under a claim but stored nothing (the worker threw or died).</summary>
    int UnfinishedAttempts { get; set; }

    /// <summary>When the current step gives up.</summary>
    DateTimeOffset Deadline { get; set; }

    DateTimeOffset UpdatedAt { get; set; }
}
