using Microsoft.Extensions.Configuration;

namespace Avatar.Chaos;

/// <summary>What <c>./chaos.sh</c> runs; every figure can be changed on its command line (<c>--submissions 200</c>).</summary>
public sealed record ChaosOptions
{
    public int Submissions { get; init; } = 1000;

    public int Sessions { get; init; } = 100;

    public int Workers { get; init; } = 3;

    public int Kills { get; init; } = 3;

    public TimeSpan DatabaseOutage { get; init; } = TimeSpan.FromSeconds(120);

    public TimeSpan BrokerOutage { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan ReviewDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long after the last fault every flow must have ended.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromMinutes(5);

    public string LogDirectory { get; init; } = ".run/chaos";

    /// <summary>On the three-node cluster of <c>scripts/rabbitmq-cluster.sh</c>: the broker outage is the loss of the node leading the queues.</summary>
    public bool Cluster { get; init; }

    /// <summary>
    /// On the primary and synchronous standby of <c>scripts/postgres-pair.sh</c>: the database outage is the primary
    /// killed with SIGKILL and the standby promoted <see cref="PromoteAfter"/> later, as an HA manager would.
    /// </summary>
    public bool DbFailover { get; init; }

    /// <summary>How long the HA manager takes to notice the primary's loss and promote the standby.</summary>
    public TimeSpan PromoteAfter { get; init; } = TimeSpan.FromSeconds(10);

    public static ChaosOptions From(string[] args)
    {
        var cluster = args.Contains("--cluster");
        var failover = args.Contains("--db-failover");
        var settings = new ConfigurationBuilder().AddCommandLine([.. args.Where(a => a is not ("--cluster" or "--db-failover"))]).Build();
        var defaults = new ChaosOptions();
        return new ChaosOptions
        {
            Submissions = settings.GetValue("submissions", defaults.Submissions),
            Sessions = settings.GetValue("sessions", defaults.Sessions),
            Workers = settings.GetValue("workers", defaults.Workers),
            Kills = settings.GetValue("kills", defaults.Kills),
            DatabaseOutage = TimeSpan.FromSeconds(settings.GetValue("db-outage-seconds", defaults.DatabaseOutage.TotalSeconds)),
            BrokerOutage = TimeSpan.FromSeconds(settings.GetValue("broker-outage-seconds", defaults.BrokerOutage.TotalSeconds)),
            ReviewDuration = TimeSpan.FromSeconds(settings.GetValue("review-seconds", defaults.ReviewDuration.TotalSeconds)),
            Settle = TimeSpan.FromSeconds(settings.GetValue("settle-seconds", defaults.Settle.TotalSeconds)),
            LogDirectory = settings.GetValue("log-directory", defaults.LogDirectory)!,
            Cluster = cluster,
            DbFailover = failover,
            PromoteAfter = TimeSpan.FromSeconds(settings.GetValue("promote-after-seconds", defaults.PromoteAfter.TotalSeconds)),
        };
    }
}
