using Avatar.Contracts;
using Avatar.Persistence;
using Avatar.Worker.Messaging;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Avatar.Admin;

/// <summary>
/// What <c>abandon</c> does: ends one open session or submission now, as failed with <c>abandoned</c>, and publishes the
/// failure event its callers wait for. A row that has already ended gets its stored event published again.
/// </summary>
/// <remarks>
/// The row is ended in the database first, under a new lease token: a worker holding the row at that moment cannot
/// save its step over the ending (its save fails on the token and is dropped), and its later polls find nothing to do.
/// The event is published from the stored row, so running the verb again after a failed publish sends the same event.
/// </remarks>
internal sealed class Abandonment(IConfiguration configuration)
{
    /// <summary>Exit code 0 when the event was published, 2 when no row has that id.</summary>
    public async Task<int> RunAsync(Guid id, string reason, TextWriter output, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            output.WriteLine("--reason is required: say why, it reaches the callers in the failure event");
            return 1;
        }

        var connectionString = configuration.GetConnectionString(PersistenceServices.ConnectionStringName)
            ?? throw new InvalidOperationException("ConnectionStrings__Avatar is not set.");
        await using var db = AvatarDbContext.Open(connectionString);

        if (await EndAsync(db, id, $"abandoned by an operator: {reason.Trim()}", output, cancellationToken) is not var (outcome, owner))
        {
            output.WriteLine($"no session or submission {id}");
            return 2;
        }

        await PublishAsync(outcome, owner, cancellationToken);
        output.WriteLine($"published {outcome.GetType().Name}");
        return 0;
    }

    /// <summary>Ends the row if it is still open and returns its event and owner; null when there is no such row.</summary>
    internal static async Task<(object Outcome, string? Owner)?> EndAsync(AvatarDbContext db, Guid id, string reason, TextWriter output, CancellationToken cancellationToken)
    {
        // A worker may hold the row and save between our read and our write; the lease token tells, and we read again.
        for (var attempt = 1; ; attempt++)
        {
            db.ChangeTracker.Clear();
            var now = await db.NowAsync(cancellationToken);
            try
            {
                if (await db.Sessions.FirstOrDefaultAsync(s => s.Id == id, cancellationToken) is { } session)
                {
                    if (session.IsEnded)
                    {
                        output.WriteLine($"session {id} had already ended {session.State} ({session.ErrorCode ?? "no error"})");
                        return (session.Outcome!, session.Owner);
                    }

                    var abandoned = session.Abandon(reason);
                    session.Schedule.Revoke();
                    session.UpdatedAt = now;
                    await db.SaveChangesAsync(cancellationToken);
                    output.WriteLine($"session {id} ended {session.State} ({AvatarErrorCodes.Abandoned})");
                    return (abandoned, session.Owner);
                }

                if (await db.Submissions.FirstOrDefaultAsync(s => s.Id == id, cancellationToken) is { } submission)
                {
                    if (submission.IsEnded)
                    {
                        output.WriteLine($"submission {id} had already ended {submission.State} ({submission.ErrorCode ?? "no error"})");
                        return (submission.Outcome!, submission.Owner);
                    }

                    var abandoned = submission.Abandon(reason, now);
                    submission.Schedule.Revoke();
                    submission.UpdatedAt = now;
                    await db.SaveChangesAsync(cancellationToken);
                    output.WriteLine($"submission {id} ended {submission.State} ({AvatarErrorCodes.Abandoned})");
                    return (abandoned, submission.Owner);
                }

                return null;
            }
            catch (DbUpdateConcurrencyException) when (attempt < 5)
            {
                // The worker saved a step meanwhile; read the row again (it may have ended by itself).
            }
        }
    }

    /// <summary>Publishes through MassTransit on the worker's own <c>RabbitMq:*</c> settings, so the event is exactly what the worker would send.</summary>
    private async Task PublishAsync(object outcome, string? owner, CancellationToken cancellationToken)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var (transport, broker) = Broker.Read(configuration);
        services.AddMassTransit(x =>
        {
            x.ConfigureUsageTelemetryOptions(o => o.Enabled = false);
            x.UsingRabbitMq((_, cfg) =>
            {
                Broker.ConfigureHost(cfg, transport, broker);
                EventRouting.Configure(cfg);
            });
        });
        await using var provider = services.BuildServiceProvider();
        var bus = provider.GetRequiredService<IBusControl>();
        await bus.StartAsync(cancellationToken);
        try
        {
            await bus.Publish(outcome, outcome.GetType(), EventRouting.To(owner), cancellationToken);
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }
    }
}
