using System.CommandLine;
using Microsoft.Extensions.Configuration;

namespace Avatar.Admin;

/// <summary>The verbs, parsed with System.CommandLine; each one opens what it needs from the worker's configuration.</summary>
public static class AdminCommands
{
    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter output)
    {
        var status = new Command("status", "Open rows per table and state, what is due and overdue, the oldest open row, and the depth of each _error queue.");
        status.SetAction(async (_, cancellationToken) =>
        {
            await new StatusReport(configuration).WriteAsync(output, cancellationToken);
            return 0;
        });

        var id = new Argument<Guid>("id") { Description = "A SessionId or SubmissionId." };
        var show = new Command("show", "Everything stored about one session or submission (never its token), its schedule and its last error.") { id };
        show.SetAction(async (parse, cancellationToken) => await new RowReport(configuration).WriteAsync(parse.GetValue(id), output, cancellationToken) ? 0 : 2);

        var queue = new Argument<string?>("queue") { Description = "One queue (its _error queue is emptied); all of the worker's by default.", Arity = ArgumentArity.ZeroOrOne };
        var dryRun = new Option<bool>("--dry-run") { Description = "Count what would move, move nothing." };
        var redrive = new Command("redrive", "Move messages from _error queues back to their queues.") { queue, dryRun };
        redrive.SetAction(async (parse, cancellationToken) =>
        {
            await using var broker = await Queues.ConnectAsync(configuration, cancellationToken);
            var queues = parse.GetValue(queue) is { } one ? [one.EndsWith("_error", StringComparison.Ordinal) ? one[..^6] : one] : Queues.WorkerQueues;
            var moved = 0L;
            foreach (var name in queues)
            {
                var count = await broker.RedriveAsync(name, parse.GetValue(dryRun), cancellationToken);
                output.WriteLine($"{name}_error: {count} message(s) {(parse.GetValue(dryRun) ? "would move" : "moved")} to {name}");
                moved += count;
            }

            output.WriteLine($"{(parse.GetValue(dryRun) ? "would redrive" : "redrove")} {moved} message(s)");
            return 0;
        });

        var abandonId = new Argument<Guid>("id") { Description = "The SessionId or SubmissionId to end." };
        var reason = new Option<string>("--reason") { Description = "Why; it reaches the callers in the failure event.", Required = true };
        var abandon = new Command("abandon", "End a stuck session or submission now, as failed with 'abandoned', and publish its failure event.") { abandonId, reason };
        abandon.SetAction(async (parse, cancellationToken) =>
            await new Abandonment(configuration).RunAsync(parse.GetValue(abandonId), parse.GetValue(reason)!, output, cancellationToken));

        var root = new RootCommand("Operate the avatar worker: read its state, move failed messages back, end what is stuck.") { status, show, redrive, abandon };
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = output });
    }
}
