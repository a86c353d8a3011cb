namespace Avatar.Testing;

/// <summary>
/// The three-node RabbitMQ cluster of <c>scripts/rabbitmq-cluster.sh</c> (Debian's package, on this machine), started
/// if it is not running, with a fresh virtual host for this run.
/// </summary>
public sealed class BrokerCluster
{
    private BrokerCluster(IReadOnlyList<string> nodes, string virtualHost)
    {
        Nodes = nodes;
        VirtualHost = virtualHost;
    }

    /// <summary><c>host:port</c> of every node, as <c>RabbitMq__Nodes</c> takes them.</summary>
    public IReadOnlyList<string> Nodes { get; }

    public string VirtualHost { get; }

    public static async Task<BrokerCluster> UpAsync(string virtualHost)
    {
        var up = await ScriptAsync("up");
        var nodes = up.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith("nodes ", StringComparison.Ordinal))[6..].Split(',');
        await ScriptAsync("vhost", virtualHost);
        return new BrokerCluster(nodes, virtualHost);
    }

    /// <summary>The node (1-3) that leads quorum queue <paramref name="queue"/>.</summary>
    public async Task<int> LeaderOfAsync(string queue) =>
        int.Parse((await ScriptAsync("leader", queue, VirtualHost)).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Node <paramref name="node"/> goes away, as if its machine were lost.</summary>
    public Task StopNodeAsync(int node) => ScriptAsync("stop-node", node.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public Task StartNodeAsync(int node) => ScriptAsync("start-node", node.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>rabbitmqctl against the cluster; returns what it printed.</summary>
    public Task<string> CtlAsync(params string[] arguments) => ScriptAsync(["ctl", .. arguments]);

    private static Task<string> ScriptAsync(params string[] arguments) => Scripts.RunAsync("rabbitmq-cluster.sh", arguments);
}
