// What the brief's fixed choices hold in memory before the worker adds anything: MassTransit on RabbitMQ, then, each
// behind a switch, ASP.NET Core serving health checks (Stack__Web), OpenTelemetry's traces and metrics with the
// Prometheus endpoint (Stack__Telemetry), and PostgreSQL (Stack__Database, with ConnectionStrings__Avatar): "npgsql"
// runs one command on a connection of its own, "efcore" one statement and one LINQ query through EF Core, before the
// host starts. Each is set up as the worker sets it up, with nothing of the worker's own: one consumer, one entity.
// `./bench.sh --stack-floor` starts it once per layer and reads its peak RSS.
using Avatar.BareChain;
using Avatar.StackFloor;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

var settings = new ConfigurationBuilder().AddEnvironmentVariables().Build();
var web = settings.GetValue("Stack:Web", true);
var telemetry = settings.GetValue("Stack:Telemetry", true);
var database = settings["Stack:Database"] ?? "efcore";

IHostApplicationBuilder builder = web ? WebApplication.CreateBuilder(args) : Host.CreateApplicationBuilder(args);
if (builder is WebApplicationBuilder webBuilder && string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
{
    webBuilder.WebHost.UseUrls("http://127.0.0.1:0");
}

var rabbit = builder.Configuration.GetSection("RabbitMq");
builder.Services.AddOptions<MassTransitHostOptions>().Configure(o => o.WaitUntilStarted = true);
builder.Services.AddMassTransit(x =>
{
    x.AddConsumer<FloorConsumer>().Endpoint(e => e.Name = "stack-floor");
    x.UsingBareRabbitMq(rabbit);
});

if (web)
{
    builder.Services.AddHealthChecks();
}

if (telemetry)
{
    builder.Services.AddOpenTelemetry()
        .ConfigureResource(r => r.AddService("stack-floor"))
        .WithTracing(tracing => tracing
            .AddSource(MassTransit.Logging.DiagnosticHeaders.DefaultListenerName)
            .AddHttpClientInstrumentation()
            .AddNpgsql())
        .WithMetrics(metrics => metrics
            .AddMeter(MassTransit.Monitoring.InstrumentationOptions.MeterName)
            .AddRuntimeInstrumentation()
            .AddHttpClientInstrumentation()
            .AddNpgsqlInstrumentation()
            .AddPrometheusExporter());
}

if (database == "efcore")
{
    builder.Services.AddDbContextPool<FloorDbContext>(o => o.UseNpgsql(builder.Configuration.GetConnectionString("Avatar")));
}

IHost host;
if (builder is WebApplicationBuilder webApplicationBuilder)
{
    var app = webApplicationBuilder.Build();
    app.MapHealthChecks("/health");
    if (telemetry)
    {
        app.MapPrometheusScrapingEndpoint();
    }

    host = app;
}
else
{
    host = ((HostApplicationBuilder)builder).Build();
}

if (database == "npgsql")
{
    await using var connection = new NpgsqlConnection(builder.Configuration.GetConnectionString("Avatar"));
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_class", connection);
    await command.ExecuteScalarAsync();
}
else if (database == "efcore")
{
    await using var scope = host.Services.CreateAsyncScope();
    var db = scope.ServiceProvider.GetRequiredService<FloorDbContext>();
    await db.Database.ExecuteSqlRawAsync("CREATE TABLE IF NOT EXISTS stack_floor_items (id uuid PRIMARY KEY, name text)");
    await db.Items.CountAsync(i => i.Name != null);
}

await host.RunAsync();

namespace Avatar.StackFloor
{
    public sealed record FloorMessage(Guid Id);

    public sealed class FloorConsumer : IConsumer<FloorMessage>
    {
        public Task Consume(ConsumeContext<FloorMessage> context) => Task.CompletedTask;
    }

    public sealed class FloorItem
    {
        public Guid Id { get; set; }

        public string? Name { get; set; }
    }

    public sealed class FloorDbContext(DbContextOptions<FloorDbContext> options) : DbContext(options)
    {
        public DbSet<FloorItem> Items => Set<FloorItem>();

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            var item = modelBuilder.Entity<FloorItem>().ToTable("stack_floor_items");
            item.Property(i => i.Id).HasColumnName("id");
            item.Property(i => i.Name).HasColumnName("name");
        }
    }
}
