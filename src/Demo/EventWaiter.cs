namespace Avatar.Demo;

public enum Phase
{
    Session,
    Verification,
    Review,
}

/// <summary>An event the worker published, with the flow id and the step of the walkthrough it ends.</summary>
public sealed record Delivered(Guid Id, Phase Phase, object Message);

/// <summary>
/// Every message handed to it, in order, and whoever waits for one: a wait ends as soon as a matching message arrives
/// (a <see cref="TaskCompletionSource{TResult}"/> completed by <see cref="Add"/>), or at once when one already did,
/// so nobody polls. Shared by the Demo and the tests (tests/Avatar.Testing compiles this file).
/// </summary>
public sealed class EventWaiter
{
    private readonly Lock gate = new();
    private readonly List<object> arrived = [];
    private readonly List<(Func<object, bool> Matches, TaskCompletionSource<object> Found)> waiting = [];

    /// <summary>Every message so far, in the order it arrived.</summary>
    public IReadOnlyList<object> Arrived
    {
        get
        {
            lock (gate)
            {
                return [.. arrived];
            }
        }
    }

    public void Add(object message)
    {
        lock (gate)
        {
            arrived.Add(message);
            for (var i = waiting.Count - 1; i >= 0; i--)
            {
                if (waiting[i].Matches(message))
                {
                    waiting[i].Found.TrySetResult(message);
                    waiting.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>The first message of type <typeparamref name="T"/> that matches, arrived or still to come; a <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task<T> WaitFor<T>(Func<T, bool> predicate, TimeSpan timeout)
    {
        (Func<object, bool>, TaskCompletionSource<object>) waiter = (m => m is T t && predicate(t), new(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (gate)
        {
            if (arrived.OfType<T>().FirstOrDefault(predicate) is { } found)
            {
                return found;
            }

            waiting.Add(waiter);
        }

        try
        {
            return (T)await waiter.Item2.Task.WaitAsync(timeout);
        }
        finally
        {
            lock (gate)
            {
                waiting.Remove(waiter);
            }
        }
    }

    /// <summary>The Demo's wait: the first event that ends <paramref name="phase"/> of flow <paramref name="id"/>.</summary>
    public async Task<object> WaitAsync(Guid id, Phase phase, TimeSpan timeout) =>
        (await WaitFor<Delivered>(d => d.Id == id && d.Phase == phase, timeout)).Message;
}
