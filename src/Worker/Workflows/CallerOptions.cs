using Avatar.Persistence;

namespace Avatar.Worker.Workflows;

/// <summary>Who may act on what (section <c>Avatar:Callers</c>).</summary>
public sealed class CallerOptions
{
    /// <summary>
    /// Refuse a command without an AMQP <c>user-id</c> (<c>unidentified_caller</c>). Off (a development switch): such a
    /// command is taken from an unnamed caller, and the flow it opens is open to any caller.
    /// </summary>
    public bool RequireUserId { get; set; } = true;

    /// <summary>
    /// Callers that may submit to groups other callers verified: each caller's name to the owners whose groups it may
    /// use (a shared identity service verifies people for several pipelines).
    /// </summary>
    public Dictionary<string, string[]> SharedGroups { get; set; } = [];

    /// <summary>Whether <paramref name="caller"/> may submit to a group verified by a session of <paramref name="owner"/>.</summary>
    public bool MaySubmitTo(string? owner, string? caller) =>
        Owners.Permits(owner, caller) || (caller is not null && SharedGroups.TryGetValue(caller, out var owners) && owners.Contains(owner));
}
