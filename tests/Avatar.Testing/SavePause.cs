using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Avatar.Testing;

/// <summary>
/// A pause point in the worker's own saves, to force an interleaving rather than hope for it: the first
/// <c>parties</c> saves holding an entry that <c>match</c> picks stop before they reach the database, until the test
/// calls <see cref="Release"/>. <see cref="Reached"/> completes once all of them are waiting. Registered as an
/// <see cref="IInterceptor"/> service of a worker instance (see <see cref="WorkerInstance.StartAsync"/>); several
/// instances may share one.
/// </summary>
public sealed class SavePause(Func<EntityEntry, bool> match, int parties = 1) : SaveChangesInterceptor
{
    private readonly TaskCompletionSource reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int arrived;

    /// <summary>Completes when <c>parties</c> matching saves are held.</summary>
    public Task Reached => reached.Task;

    /// <summary>Lets the held saves go on, and every later one pass.</summary>
    public void Release() => released.TrySetResult();

    /// <summary>A pause for the saves that write <typeparamref name="TRow"/> <paramref name="id"/> in a state <paramref name="when"/> accepts.</summary>
    public static SavePause Of<TRow>(Guid id, Func<TRow, bool> when, int parties = 1)
        where TRow : class =>
        new(entry => entry.Entity is TRow row && entry.Property("Id").CurrentValue is Guid rowId && rowId == id && when(row), parties);

    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (released.Task.IsCompleted || eventData.Context is not { } context || !context.ChangeTracker.Entries().Any(match))
        {
            return result;
        }

        var position = Interlocked.Increment(ref arrived);
        if (position > parties)
        {
            return result;
        }

        if (position == parties)
        {
            reached.TrySetResult();
        }

        await released.Task.WaitAsync(cancellationToken);
        return result;
    }
}
