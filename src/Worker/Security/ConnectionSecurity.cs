using System.Net;
using Avatar.Persistence;
using Avatar.Worker.Messaging;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Avatar.Worker.Security;

/// <summary>
/// The worker does not start against a broker or a database on another machine over a connection nobody verified:
/// RabbitMQ needs <c>RabbitMq:UseSsl</c> (whose certificate chain and name are then checked, see
/// <see cref="Broker.ConfigureHost"/>), and PostgreSQL <c>SSL Mode=VerifyFull</c> (or <c>VerifyCA</c>); Npgsql's default
/// falls back to plain text without a word. The user <c>guest</c> is refused for a broker on another machine. The
/// development switches <c>RabbitMq:AllowInsecureConnection</c> and <c>Database:AllowInsecureConnection</c> lift the TLS
/// rules (compose uses them on its private network).
/// </summary>
public static class ConnectionSecurity
{
    /// <summary>Why the worker must not connect to the broker so, or null.</summary>
    public static string? BrokerProblem(RabbitMqTransportOptions transport, BrokerOptions broker)
    {
        var hosts = broker.NodeList is { Count: > 0 } nodes ? nodes.Select(HostOf).ToList() : [transport.Host];
        if (hosts.FirstOrDefault(h => !IsLocal(h)) is not { } remote)
        {
            return null;
        }

        if (transport.User == "guest")
        {
            return $"RabbitMq:User is guest, which is refused for a broker on another machine ({remote}); give the worker a user of its own (scripts/rabbitmq-users.sh)";
        }

        return transport.UseSsl || broker.AllowInsecureConnection
            ? null
            : $"RabbitMq: {remote} is not on this machine and RabbitMq:UseSsl is off; turn TLS on (RabbitMq__UseSsl=true, the server's certificate is verified), or set RabbitMq__AllowInsecureConnection=true on a private development network";
    }

    /// <summary>Why the worker must not connect to PostgreSQL with <paramref name="connectionString"/>, or null.</summary>
    public static string? DatabaseProblem(string? connectionString, bool allowInsecure)
    {
        if (allowInsecure || string.IsNullOrEmpty(connectionString))
        {
            return null;
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if ((builder.Host ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(HostOf).FirstOrDefault(h => !IsLocal(h)) is not { } remote)
        {
            return null;
        }

        return builder.SslMode is SslMode.VerifyFull or SslMode.VerifyCA
            ? null
            : $"ConnectionStrings:Avatar: {remote} is not on this machine and SSL Mode is {builder.SslMode}; use SSL Mode=VerifyFull (the server's certificate and name are checked), or set Database__AllowInsecureConnection=true on a private development network";
    }

    /// <summary>The host of <c>host</c>, <c>host:port</c> or <c>[v6]:port</c>.</summary>
    private static string HostOf(string endpoint) => endpoint switch
    {
        ['[', ..] when endpoint.IndexOf(']') is > 0 and var end => endpoint[1..end],
        _ when endpoint.Count(c => c == ':') == 1 => endpoint[..endpoint.IndexOf(':')],
        _ => endpoint,
    };

    /// <summary>This machine: a loopback name or address, or a Unix socket directory.</summary>
    private static bool IsLocal(string host) =>
        host.StartsWith('/') || host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    internal sealed class BrokerValidator(IOptions<RabbitMqTransportOptions> transport) : IValidateOptions<BrokerOptions>
    {
        public ValidateOptionsResult Validate(string? name, BrokerOptions options) =>
            BrokerProblem(transport.Value, options) is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }

    internal sealed class DatabaseValidator(IConfiguration configuration) : IValidateOptions<DatabaseOptions>
    {
        public ValidateOptionsResult Validate(string? name, DatabaseOptions options) =>
            DatabaseProblem(configuration.GetConnectionString(Persistence.PersistenceServices.ConnectionStringName), options.AllowInsecureConnection) is { } problem
                ? ValidateOptionsResult.Fail(problem)
                : ValidateOptionsResult.Success;
    }
}
