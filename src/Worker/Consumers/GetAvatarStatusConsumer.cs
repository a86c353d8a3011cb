using Avatar.Contracts;
using Avatar.Persistence;
using Avatar.Worker.Messaging;
using Avatar.Worker.Workflows;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Avatar.Worker.Consumers;

/// <summary>
/// Answers <see cref="GetAvatarStatus"/> from the database, so any instance can. A caller sees only the flows it opened
/// (<see cref="Owners.Permits"/>); another caller's flow gets the same <see cref="AvatarStatusNotFound"/> as an id nobody
/// used. It reads and changes nothing else. A request without a response address gets no answer: MassTransit would
/// publish it instead, where the asker may not be the only one listening.
/// </summary>
public sealed class GetAvatarStatusConsumer(AvatarDbContext db) : IConsumer<GetAvatarStatus>
{
    public async Task Consume(ConsumeContext<GetAvatarStatus> context)
    {
        if (context.ResponseAddress is null)
        {
            return;
        }

        var id = context.Message.Id;
        var caller = Callers.Of(context);
        var cancellationToken = context.CancellationToken;
        if (await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, cancellationToken) is { } session && Owners.Permits(session.Owner, caller))
        {
            await context.RespondAsync(FlowStatus.Of(session));
        }
        else if (await db.Submissions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, cancellationToken) is { } submission && Owners.Permits(submission.Owner, caller))
        {
            await context.RespondAsync(FlowStatus.Of(submission));
        }
        else
        {
            await context.RespondAsync(new AvatarStatusNotFound(id));
        }
    }
}
