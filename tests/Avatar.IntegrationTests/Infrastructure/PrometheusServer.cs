using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Avatar.IntegrationTests.Infrastructure;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c>) in a throwaway folder, on the repository's
/// <c>deploy/prometheus/prometheus-file-sd.yml</c> (scraping every second rather than every 15 s) with the given worker
/// instances in its targets file.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly string folder;
    private readonly HttpClient http;

    private PrometheusServer(Process process, string folder, Uri address)
    {
        this.process = process;
        this.folder = folder;
        http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
    }

    public static async Task<PrometheusServer> StartAsync(params Uri[] workers)
    {
        var folder = Directory.CreateTempSubdirectory("avatar-prometheus-").FullName;
        var shipped = Path.Combine(Avatar.Testing.Repository.Root, "deploy", "prometheus");
        var config = Path.Combine(folder, "prometheus.yml");
        await File.WriteAllTextAsync(config, (await File.ReadAllTextAsync(Path.Combine(shipped, "prometheus-file-sd.yml"))).Replace("interval: 15s", "interval: 1s", StringComparison.Ordinal));
        File.Copy(Path.Combine(shipped, "alerts.yml"), Path.Combine(folder, "alerts.yml"));
        Directory.CreateDirectory(Path.Combine(folder, "targets"));
        await File.WriteAllTextAsync(
            Path.Combine(folder, "targets", "avatar-worker.json"),
            System.Text.Json.JsonSerializer.Serialize(new[] { new { targets = workers.Select(w => w.Authority).ToArray() } }));

        var port = FreePort();
        var info = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}", $"--web.listen-address=127.0.0.1:{port}" })
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException("prometheus is not installed: run the tests through ./test.sh, which installs Debian's package.", exception);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, folder, new Uri($"http://127.0.0.1:{port}"));
        for (var i = 0; i < 100; i++)
        {
            try
            {
                if ((await server.http.GetAsync("/-/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        await server.DisposeAsync();
        throw new TimeoutException("Prometheus did not become ready within 10 s.");
    }

    /// <summary>The JSON answer of an instant query.</summary>
    public Task<string> QueryAsync(string promql) => http.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(promql)}");

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        http.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
