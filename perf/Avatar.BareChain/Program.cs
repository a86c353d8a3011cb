// The reference `./bench.sh --baseline` measures the worker against: the worker's three hops (a command, a poll, an
// outcome event) on bare MassTransit, with the worker's broker settings (quorum queues, publisher confirms) and its
// concurrency, and nothing else: no database, no HTTP, no retry, outbox or kill switch. It starts like the worker, with
// its settings in the environment (RabbitMq__Host, RabbitMq__Port, RabbitMq__VHost, RabbitMq__User, RabbitMq__Pass,
// Messaging__ConcurrentMessageLimit).
using Avatar.BareChain;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
var rabbit = builder.Configuration.GetSection("RabbitMq");
var concurrency = builder.Configuration.GetValue("Messaging:ConcurrentMessageLimit", 8);
builder.Services.AddOptions<MassTransitHostOptions>().Configure(o => o.WaitUntilStarted = true);
builder.Services.AddMassTransit(x =>
{
    x.AddConsumer<ItemConsumer>().Endpoint(e => e.Name = BareQueues.Items);
    x.AddConsumer<PollConsumer>().Endpoint(e => e.Name = BareQueues.Polls);
    x.UsingBareRabbitMq(rabbit, concurrency);
});

await builder.Build().RunAsync();

namespace Avatar.BareChain
{
    /// <summary>Hop 1, as <c>SubmitAvatarAssets</c>: the command.</summary>
    public sealed record BareItem(Guid Id);

    /// <summary>Hop 2, as the dispatcher's poll message.</summary>
    public sealed record BarePoll(Guid Id);

    /// <summary>Hop 3, as <c>AvatarAssetsApproved</c>: the outcome event, published.</summary>
    public sealed record BareDone(Guid Id);

    public static class BareQueues
    {
        public const string Items = "bare-items";
        public const string Polls = "bare-polls";
    }

    public sealed class ItemConsumer : IConsumer<BareItem>
    {
        public async Task Consume(ConsumeContext<BareItem> context)
        {
            var polls = await context.GetSendEndpoint(new Uri($"exchange:{BareQueues.Polls}"));
            await polls.Send(new BarePoll(context.Message.Id), context.CancellationToken);
        }
    }

    public sealed class PollConsumer : IConsumer<BarePoll>
    {
        public Task Consume(ConsumeContext<BarePoll> context) => context.Publish(new BareDone(context.Message.Id), context.CancellationToken);
    }
}
